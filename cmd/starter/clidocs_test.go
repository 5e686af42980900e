package main

import (
	"bytes"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// The CLI reference is generated from the cobra tree; a new command or flag
// only needs this to run again.
//
//go:generate go test -run ^TestCLIDocs$ -update .

// cliDocsDir holds the Markdown reference of starter's command line, one page
// per command (docs/cli/starter.md is the root).
var cliDocsDir = filepath.Join("..", "..", "docs", "cli")

// TestCLIDocs fails when docs/cli differs from what the command tree
// generates: a page missing, extra or different.
// `go test ./cmd/starter -run CLIDocs -update` (or `go generate ./cmd/starter`)
// rewrites it.
func TestCLIDocs(t *testing.T) {
	t.Parallel()
	want := cliDocs(t)
	if *updateScripts {
		writeCLIDocs(t, want)
		return
	}
	got := readDir(t, cliDocsDir)
	const refresh = "run: go test ./cmd/starter -run CLIDocs -update"
	for _, name := range slices.Sorted(maps.Keys(want)) {
		switch have, ok := got[name]; {
		case !ok:
			t.Errorf("docs/cli/%s is missing (%s)", name, refresh)
		case have != want[name]:
			t.Errorf("docs/cli/%s is stale (%s)", name, refresh)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[name]; !ok {
			t.Errorf("docs/cli/%s documents no command (%s)", name, refresh)
		}
	}
}

// cliDocs renders the reference of the whole command tree, as the binary
// builds it (help and completion commands included), by file name.
func cliDocs(t *testing.T) map[string]string {
	t.Helper()
	e, _, _ := testEnv(strings.NewReader(""), false, nil)
	root := newRootCmd(e)
	root.InitDefaultVersionFlag()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	noDates(root)
	dir := t.TempDir()
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		t.Fatal(err)
	}
	return readDir(t, dir)
}

// noDates keeps the generation date out of every page, so that the pages
// change only when the commands do.
func noDates(cmd *cobra.Command) {
	cmd.DisableAutoGenTag = true
	for _, c := range cmd.Commands() {
		noDates(c)
	}
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(data)
	}
	return files
}

func writeCLIDocs(t *testing.T, files map[string]string) {
	t.Helper()
	if err := os.RemoveAll(cliDocsDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cliDocsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(cliDocsDir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// repoRoot is the repository, seen from this package's directory.
var repoRoot = filepath.Join("..", "..")

// outsideRefs are references to documents this repository does not hold.
var outsideRefs = regexp.MustCompile(`\.\./shared|shared/spec|STYLE\.md|spec/(api|cli)\.md|(?i)\bported from|Rust starter|\bthe seed\b|\bseed's\b`)

// mdLink is the target of a Markdown link: [text](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocsStandAlone holds the repository to citing only what it contains:
// every relative link of its Markdown files leads to a file of the repository,
// and no file names a document kept elsewhere. Generated trees are left to
// the generator's TestNoLeftovers.
func TestDocsStandAlone(t *testing.T) {
	t.Parallel()
	skipDirs := map[string]bool{".git": true, "golden": true, "results": true, "bin": true}
	// The tables of forbidden words live in these two files.
	skipFiles := map[string]bool{"clidocs_test.go": true, "leftovers_test.go": true}
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && skipDirs[d.Name()]:
			return filepath.SkipDir
		case d.IsDir() || skipFiles[d.Name()] || d.Name() == ".git":
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil || bytes.IndexByte(data, 0) >= 0 {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, path)
		if m := outsideRefs.Find(data); m != nil {
			t.Errorf("%s cites %q, which is not in this repository: say it in the repository's own words", rel, m)
		}
		if strings.HasSuffix(path, ".md") {
			checkLinks(t, rel, data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkLinks reports relative links of a Markdown file that lead nowhere or
// out of the repository.
func checkLinks(t *testing.T, rel string, data []byte) {
	t.Helper()
	for _, m := range mdLink.FindAllSubmatch(data, -1) {
		target, _, _ := strings.Cut(string(m[1]), "#")
		if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
			continue
		}
		joined := filepath.Join(filepath.Dir(rel), filepath.FromSlash(target))
		if strings.HasPrefix(joined, "..") {
			t.Errorf("%s links to %s, outside the repository", rel, target)
			continue
		}
		if _, err := os.Stat(filepath.Join(repoRoot, joined)); err != nil {
			t.Errorf("%s links to %s, which does not exist", rel, target)
		}
	}
}
