package pgembed

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSameDirSeesThroughLinks: /proc shows working directories with links resolved; a data
// directory reached through a link must still be recognised, or its live server taken for gone.
func TestSameDirSeesThroughLinks(t *testing.T) {
	t.Parallel()
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if !sameDir(real, link) {
		t.Errorf("%s and %s (a link to it) are not the same directory", real, link)
	}
	if sameDir(real, t.TempDir()) {
		t.Error("two directories are the same")
	}
}
