package generator

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/modfile"
)

// TestPinnedVersionsMatchRoot: the template code compiles against the root
// go.mod, so every pinned go.mod must require the root's versions and Go
// version. The slower check that they are tidy is in TestEndToEnd.
func TestPinnedVersionsMatchRoot(t *testing.T) {
	t.Parallel()
	rootData, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := modfile.Parse("go.mod", rootData, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, r := range root.Require {
		want[r.Mod.Path] = r.Mod.Version
	}
	src := realSources().Templates
	m, err := LoadManifest(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range m.VariantNames() {
		data, err := fs.ReadFile(src, "gomod/"+v+"/go.mod.tmpl")
		if err != nil {
			t.Fatal(err)
		}
		f, err := modfile.Parse(v+"/go.mod.tmpl", data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if f.Module.Mod.Path != "example.com/app" || f.Go.Version != root.Go.Version {
			t.Errorf("%s: module %s, go %s; want example.com/app, go %s: run make pin", v, f.Module.Mod.Path, f.Go.Version, root.Go.Version)
		}
		for _, r := range f.Require {
			if got := want[r.Mod.Path]; got != r.Mod.Version {
				t.Errorf("%s: requires %s %s, the root go.mod has %q: run make pin", v, r.Mod.Path, r.Mod.Version, got)
			}
		}
	}
}
