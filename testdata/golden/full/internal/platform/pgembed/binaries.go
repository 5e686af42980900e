package pgembed

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
)

// findBinDir returns the directory holding both initdb and postgres: dir when given, else the
// directory of postgres on PATH, else the highest-numbered /usr/lib/postgresql/*/bin (Debian and
// Ubuntu keep the server binaries off PATH there).
func findBinDir(dir string) (string, error) {
	if dir != "" {
		if !hasServerBinaries(dir) {
			return "", fmt.Errorf("%w (looked in %s)", ErrNoBinaries, dir)
		}
		return dir, nil
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		if d, err := filepath.Abs(filepath.Dir(p)); err == nil && hasServerBinaries(d) {
			return d, nil
		}
	}
	for _, d := range versionedBinDirs("/usr/lib/postgresql") {
		if hasServerBinaries(d) {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func hasServerBinaries(dir string) bool {
	return isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres"))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// versionedBinDirs lists root/<version>/bin, highest version first ("15" before "9.6").
func versionedBinDirs(root string) []string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	type dir struct {
		version float64
		path    string
	}
	var dirs []dir
	for _, e := range entries {
		v, err := strconv.ParseFloat(e.Name(), 64)
		if err != nil {
			continue
		}
		dirs = append(dirs, dir{v, filepath.Join(root, e.Name(), "bin")})
	}
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].version > dirs[j].version })
	paths := make([]string, len(dirs))
	for i, d := range dirs {
		paths[i] = d.path
	}
	return paths
}
