package generator

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	startrt "github.com/starter-go/starter/runtime"
	"github.com/starter-go/starter/templates"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current templates")

// goldenOptions are the options every golden tree is generated with.
func goldenOptions(features []string) Options {
	return Options{Name: "demo", Module: "example.com/demo", Features: features, StarterVersion: "golden"}
}

func realSources() Sources {
	return Sources{Templates: templates.FS, Runtime: startrt.FS}
}

// TestGolden compares every variant, file by file, with testdata/golden/<variant>:
// a missing, extra or different file fails. `go test ./generator -run Golden
// -update` rewrites the trees (model: golang/tools cmd/bisect).
func TestGolden(t *testing.T) {
	t.Parallel()
	m, err := LoadManifest(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, variant := range m.VariantNames() {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			p, err := NewPlan(context.Background(), realSources(), goldenOptions(m.Variants[variant]))
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join("..", "testdata", "golden", variant)
			if *update {
				rewriteGolden(t, dir, p.Files)
				return
			}
			compareTree(t, dir, p.Files)
		})
	}
}

// rewriteGolden replaces the golden tree dir by files.
func rewriteGolden(t *testing.T, dir string, files []File) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	p := &Plan{Files: files}
	if err := p.writeFiles(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
}

func compareTree(t *testing.T, dir string, files []File) {
	t.Helper()
	golden := map[string][]byte{}
	err := filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, name)
		golden[filepath.ToSlash(rel)], err = os.ReadFile(name)
		return err
	})
	if err != nil {
		t.Fatalf("%v (run: go test ./generator -run Golden -update)", err)
	}
	for _, f := range files {
		want, ok := golden[f.Path]
		switch {
		case !ok:
			t.Errorf("%s: generated but not in %s", f.Path, dir)
		case !bytes.Equal(f.Data, want):
			t.Errorf("%s differs from the golden file: %s", f.Path, firstDiff(string(want), string(f.Data)))
		}
		delete(golden, f.Path)
	}
	for _, name := range slices.Sorted(maps.Keys(golden)) {
		t.Errorf("%s: in %s but no longer generated", name, dir)
	}
	if t.Failed() {
		t.Log("if the change is intended: go test ./generator -run Golden -update")
	}
}

// firstDiff describes the first line where want and got differ.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d: want %q, got %q", i+1, w, g)
		}
	}
	return "same lines, different bytes"
}
