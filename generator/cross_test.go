package generator

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// crossTargets are the platforms starter and the projects it generates must compile for, besides
// linux/amd64, where `make vet` vets starter and TestEndToEnd builds and vets every variant.
func crossTargets() []struct{ goos, goarch string } {
	return []struct{ goos, goarch string }{{"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}}
}

// TestCrossCompile vets starter itself and every generated variant (its golden tree, which
// TestGolden holds to the templates) for each platform, tests included, and builds starter for
// one architecture of each other system. This is compile-only proof: the platform code that
// cannot run here (macOS, Windows) is at least type-checked. The go command's build cache is
// shared with every other build, so after a first run only what changed is compiled again.
func TestCrossCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("vet and build for every platform: skipped with -short")
	}
	t.Parallel()
	m, err := LoadManifest(realSources().Templates)
	if err != nil {
		t.Fatal(err)
	}
	dirs := []string{".."}
	for _, variant := range m.VariantNames() {
		dirs = append(dirs, filepath.Join("..", "testdata", "golden", variant))
	}
	// One at a time: each is CPU-bound, and the end-to-end test runs beside this one.
	for _, target := range crossTargets() {
		for _, dir := range dirs {
			crossRun(t, dir, target.goos, target.goarch, "vet", "./...")
		}
	}
	// Building compiles what vet only type-checks. starter's module holds the templates and the
	// runtime packages, so one build per system covers the code every variant is made of.
	crossRun(t, "..", "darwin", "arm64", "build", "./...")
	crossRun(t, "..", "windows", "amd64", "build", "./...")
}

func crossRun(t *testing.T, dir, goos, goarch string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "GOFLAGS=-mod=readonly", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("GOOS=%s GOARCH=%s go %s in %s: %v\n%s", goos, goarch, strings.Join(args, " "), dir, err, tail(string(out), 40))
	}
}
