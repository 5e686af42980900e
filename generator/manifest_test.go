package generator

import (
	"io/fs"
	"strings"
	"testing"
)

// TestManifestMatchesTemplates keeps manifest.yaml honest about the real
// template tree: every glob matches a file, every variant has its pinned
// go.mod and go.sum, and every valid feature combination has a variant.
func TestManifestMatchesTemplates(t *testing.T) {
	t.Parallel()
	src := realSources().Templates
	m, err := LoadManifest(src)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	err = fs.WalkDir(src, "project", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, strings.TrimPrefix(name, "project/"))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for feature, globs := range m.Features {
		for _, g := range globs {
			if !matchesAny(g, files) {
				t.Errorf("manifest.yaml: feature %s: %q matches no file of templates/project", feature, g)
			}
		}
	}
	for _, v := range m.VariantNames() {
		for _, f := range []string{"go.mod.tmpl", "go.sum.tmpl"} {
			if _, err := fs.Stat(src, "gomod/"+v+"/"+f); err != nil {
				t.Errorf("variant %s: %v", v, err)
			}
		}
	}
	for _, combo := range [][]string{nil, {"auth"}, {"auth", "tasks"}} {
		if _, err := m.Variant(combo); err != nil {
			t.Error(err)
		}
	}
}

func matchesAny(glob string, files []string) bool {
	for _, f := range files {
		if ok, _ := matchGlob(glob, f); ok {
			return true
		}
	}
	return false
}
