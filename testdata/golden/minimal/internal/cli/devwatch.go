package cli

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path/filepath"
	"strings"
	"time"
)

// watch reports on the returned channel when the sources under root change.
// It polls: every interval it compares a fingerprint of the watched files
// (watched), and reports once they have stood still for one more interval,
// so that an editor saving several files or a git checkout is one change.
// Polling needs no file-system events, which differ on Linux, macOS and
// Windows, and stat-ing a project's sources twice a second costs little.
func watch(ctx context.Context, root string, interval time.Duration) <-chan struct{} {
	changes := make(chan struct{}, 1)
	last := fingerprint(root)
	go func() {
		pending := false
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			now := fingerprint(root)
			switch {
			case now != last:
				last, pending = now, true
			case pending:
				pending = false
				select {
				case changes <- struct{}{}:
				default: // one is already waiting
				}
			}
		}
	}()
	return changes
}

// fingerprint hashes the path, size and modification time of every watched
// file under root. Files that vanish during the walk are skipped.
func fingerprint(root string) uint64 {
	h := fnv.New64a()
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if path != root && skippedDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !watched(d.Name()) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", path, info.Size(), info.ModTime().UnixNano())
		return nil
	})
	return h.Sum64()
}

// skippedDir: hidden directories (.git, .data with the local database),
// build output, and files that never reach the binary.
func skippedDir(name string) bool {
	return strings.HasPrefix(name, ".") || name == "bin" || name == "node_modules" || name == "testdata"
}

// watched: what the server is built or configured from. Tests are not.
func watched(name string) bool {
	switch {
	case name == "go.mod" || name == "go.sum" || name == dotEnvFile:
		return true
	case strings.HasSuffix(name, "_test.go"):
		return false
	}
	switch filepath.Ext(name) {
	case ".go", ".sql", ".yaml", ".yml":
		return true
	}
	return false
}
