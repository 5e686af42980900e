package pgembed

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// layout says where one platform's installers put the PostgreSQL server binaries and how a user
// gets them there. Each platform's file picks its own (hostLayout); all are compiled everywhere,
// so discovery is tested over a fake tree of every platform's layout on any machine.
type layout struct {
	// exe is the suffix of executables: ".exe" on Windows.
	exe string
	// dirs are slash-separated glob patterns, relative to the file system root, of directories that
	// may hold initdb and postgres. A * stands for a version: the highest is tried first.
	dirs []string
	// install says how to install the server, for the not-found error.
	install string
}

func linuxLayout() layout {
	return layout{
		dirs: []string{
			"usr/lib/postgresql/*/bin", // Debian, Ubuntu: postgresql-NN keeps the server off PATH
			"usr/pgsql-*/bin",          // Fedora, RHEL, Rocky: the PGDG packages
			"usr/lib/postgresql*/bin",  // openSUSE
		},
		install: "install the server: sudo apt-get install postgresql (Debian, Ubuntu), " +
			"sudo dnf install postgresql-server (Fedora, RHEL)",
	}
}

func darwinLayout() layout {
	return layout{
		dirs: []string{
			"opt/homebrew/opt/postgresql@*/bin",                 // Homebrew on Apple silicon
			"usr/local/opt/postgresql@*/bin",                    // Homebrew on Intel
			"Applications/Postgres.app/Contents/Versions/*/bin", // Postgres.app
			"opt/local/lib/postgresql*/bin",                     // MacPorts
		},
		install: "install the server: brew install postgresql@17, or Postgres.app (https://postgresapp.com)",
	}
}

func windowsLayout() layout {
	return layout{
		exe:  ".exe",
		dirs: []string{"Program Files/PostgreSQL/*/bin"}, // the EDB installer, winget, Chocolatey
		install: "install the server: winget install PostgreSQL.PostgreSQL.17, " +
			"or the installer from https://www.postgresql.org/download/windows/",
	}
}

// findBinDir returns the directory holding both initdb and postgres: dir when given, else the
// directory of postgres on PATH, else the platform's usual install directories, highest version
// first. The error names where it looked and how to install the server.
func findBinDir(dir string) (string, error) {
	return lookBinDir(dir, hostLayout(), hostRoot(), exec.LookPath)
}

// lookBinDir is findBinDir over an explicit layout, root and PATH lookup, so tests can give a fake
// tree for each platform.
func lookBinDir(dir string, lay layout, root string, lookPath func(string) (string, error)) (string, error) {
	if dir != "" {
		if !lay.hasServer(dir) {
			return "", fmt.Errorf("%w in %s; %s", ErrNoBinaries, dir, lay.install)
		}
		return dir, nil
	}
	if p, err := lookPath("postgres" + lay.exe); err == nil {
		if d, err := filepath.Abs(filepath.Dir(p)); err == nil && lay.hasServer(d) {
			return d, nil
		}
	}
	for _, d := range lay.candidates(root) {
		if lay.hasServer(d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w on PATH or in %s; %s", ErrNoBinaries, strings.Join(lay.dirs, ", "), lay.install)
}

func (lay layout) hasServer(dir string) bool {
	return isExecutable(filepath.Join(dir, "initdb"+lay.exe)) && isExecutable(filepath.Join(dir, "postgres"+lay.exe))
}

// candidates lists the existing directories matching lay.dirs under root, highest version first;
// equal versions keep the order of the patterns.
func (lay layout) candidates(root string) []string {
	type candidate struct {
		version []int
		path    string
	}
	var found []candidate
	for _, pattern := range lay.dirs {
		matches, _ := filepath.Glob(filepath.Join(root, filepath.FromSlash(pattern)))
		for _, m := range matches {
			found = append(found, candidate{versionOf(pattern, root, m), m})
		}
	}
	slices.SortStableFunc(found, func(a, b candidate) int { return slices.Compare(b.version, a.version) })
	paths := make([]string, len(found))
	for i, c := range found {
		paths[i] = c.path
	}
	return paths
}

// versionOf returns the numbers of the part of match that the * of pattern stood for
// ("postgresql@16" → [16], "9.6" → [9 6]); nil when it is not a version ("latest").
func versionOf(pattern, root, match string) []int {
	rel, err := filepath.Rel(root, match)
	if err != nil {
		return nil
	}
	parts, got := strings.Split(pattern, "/"), strings.Split(filepath.ToSlash(rel), "/")
	for i, part := range parts {
		prefix, suffix, ok := strings.Cut(part, "*")
		if ok && i < len(got) {
			return parseVersion(strings.TrimSuffix(strings.TrimPrefix(got[i], prefix), suffix))
		}
	}
	return nil
}

func parseVersion(s string) []int {
	var v []int
	for _, field := range strings.Split(s, ".") {
		n, err := strconv.Atoi(field)
		if err != nil {
			return nil
		}
		v = append(v, n)
	}
	return v
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && executableMode(fi.Mode())
}
