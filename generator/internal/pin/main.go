// Command pin refreshes the pinned go.mod and go.sum of every template variant
// (templates/gomod/<variant>/go.mod.tmpl, go.sum.tmpl). For each variant it
// generates a project whose go.mod requires every module of the root go.mod at
// the root's version, runs `go mod tidy` there, checks that tidy kept the
// root's versions (the template code compiles against exactly those), and
// copies go.mod and go.sum back. Run it from the repository root: make pin.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing/fstest"

	"golang.org/x/mod/modfile"

	"github.com/starter-go/starter/generator"
	startrt "github.com/starter-go/starter/runtime"
	"github.com/starter-go/starter/templates"
)

// pinModule is the module line stored in the templates; the generator
// replaces it with the user's module path.
const pinModule = "example.com/app"

func main() {
	if err := run(context.Background(), "."); err != nil {
		fmt.Fprintln(os.Stderr, "pin:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, root string) error {
	rootMod, err := readModFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return err
	}
	rootSum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		return err
	}
	seed, err := seedGoMod(rootMod)
	if err != nil {
		return err
	}
	m, err := generator.LoadManifest(templates.FS)
	if err != nil {
		return err
	}
	for _, v := range m.VariantNames() {
		if err := pinVariant(ctx, root, v, m.Variants[v], rootMod, seed, rootSum); err != nil {
			return fmt.Errorf("variant %s: %w", v, err)
		}
	}
	return nil
}

func readModFile(name string) (*modfile.File, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return modfile.Parse(name, data, nil)
}

// seedGoMod requires every module of the root at the root's version.
func seedGoMod(rootMod *modfile.File) ([]byte, error) {
	f := new(modfile.File)
	if err := f.AddModuleStmt(pinModule); err != nil {
		return nil, err
	}
	if err := f.AddGoStmt(rootMod.Go.Version); err != nil {
		return nil, err
	}
	for _, r := range rootMod.Require {
		f.AddNewRequire(r.Mod.Path, r.Mod.Version, true)
	}
	f.Cleanup()
	return modfile.Format(f.Syntax), nil
}

func pinVariant(ctx context.Context, root, variant string, features []string, rootMod *modfile.File, seed, sum []byte) error {
	tmpl, err := withGoMod(templates.FS, variant, seed, sum)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "starter-pin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "app")
	opts := generator.Options{Name: "app", Module: pinModule, Features: features, StarterVersion: "pin"}
	if err := generator.Generate(ctx, generator.Sources{Templates: tmpl, Runtime: startrt.FS}, opts, dir); err != nil {
		return err
	}
	tidy := exec.CommandContext(ctx, "go", "mod", "tidy")
	tidy.Dir = dir
	if out, err := tidy.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod tidy: %w\n%s", err, out)
	}
	mod, err := readModFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	if err := sameVersions(mod, rootMod); err != nil {
		return err
	}
	return copyBack(root, variant, dir, len(mod.Require))
}

// withGoMod copies the template tree into memory with the variant's go.mod
// and go.sum replaced by mod and sum (seedGoMod and the root go.sum).
func withGoMod(src fs.FS, variant string, mod, sum []byte) (fstest.MapFS, error) {
	out := fstest.MapFS{}
	err := fs.WalkDir(src, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(src, name)
		out[name] = &fstest.MapFile{Data: data}
		return err
	})
	dir := "gomod/" + variant + "/"
	out[dir+"go.mod.tmpl"] = &fstest.MapFile{Data: mod}
	out[dir+"go.sum.tmpl"] = &fstest.MapFile{Data: sum}
	return out, err
}

// sameVersions checks that tidy kept every requirement at the root's version.
func sameVersions(mod, rootMod *modfile.File) error {
	want := map[string]string{}
	for _, r := range rootMod.Require {
		want[r.Mod.Path] = r.Mod.Version
	}
	for _, r := range mod.Require {
		if v, ok := want[r.Mod.Path]; !ok || v != r.Mod.Version {
			return fmt.Errorf("go mod tidy chose %s %s, but the root go.mod has %q: "+
				"add or upgrade it in the root module first (go get %s@%s)", r.Mod.Path, r.Mod.Version, v, r.Mod.Path, r.Mod.Version)
		}
	}
	return nil
}

func copyBack(root, variant, dir string, requires int) error {
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	if mod, err = generator.SetModule(mod, pinModule); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil {
		return err
	}
	out := filepath.Join(root, "templates", "gomod", variant)
	if err := os.WriteFile(filepath.Join(out, "go.mod.tmpl"), mod, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "go.sum.tmpl"), sum, 0o644); err != nil {
		return err
	}
	fmt.Printf("pin: %-8s %3d requirements, %4d go.sum lines\n", variant, requires, bytes.Count(sum, []byte("\n")))
	return nil
}
