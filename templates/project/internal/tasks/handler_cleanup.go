package tasks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"time"

	"github.com/starter-go/starter/runtime/retry"
)

type cleanupHandler struct {
	root string
	log  *slog.Logger
}

type cleanupPayload struct {
	// Path is a directory relative to the root; default the root itself.
	Path string `json:"path"`
	// OlderThanHours selects files last modified before now minus this.
	OlderThanHours *float64 `json:"older_than_hours"`
	// Pattern, when set, must match a file's base name (path.Match syntax).
	Pattern string `json:"pattern"`
	// DryRun lists what would be deleted and deletes nothing.
	DryRun bool `json:"dry_run"`
}

// CleanupResult is the result of a file_cleanup task.
type CleanupResult struct {
	Scanned    int      `json:"scanned"`
	Deleted    int      `json:"deleted"`
	BytesFreed int64    `json:"bytes_freed"`
	DryRun     bool     `json:"dry_run"`
	Files      []string `json:"files"`
}

// maxListedFiles bounds the file names a result lists.
const maxListedFiles = 100

// Handle deletes regular files older than the limit under root/path. Every
// file operation goes through os.Root, so neither "..", an absolute path nor
// a symbolic link can reach outside the root; links themselves are skipped.
func (h cleanupHandler) Handle(ctx context.Context, t *Task) (any, error) {
	var p cleanupPayload
	if err := decodePayload(t, &p); err != nil {
		return nil, err
	}
	if h.root == "" {
		return nil, retry.Permanent(errors.New("file_cleanup is disabled: no root directory is configured"))
	}
	dir := path.Clean("./" + p.Path)
	switch {
	case p.Path != "" && (path.IsAbs(p.Path) || !fs.ValidPath(dir)):
		return nil, invalid(t.TaskType, "path must be relative to the cleanup root, without ..")
	case p.OlderThanHours == nil || *p.OlderThanHours < 0:
		return nil, invalid(t.TaskType, "older_than_hours must be a number ≥ 0")
	}
	if _, err := path.Match(p.Pattern, ""); err != nil {
		return nil, invalid(t.TaskType, "pattern is not a valid glob")
	}
	root, err := os.OpenRoot(h.root)
	if err != nil {
		return nil, fmt.Errorf("open cleanup root: %w", err)
	}
	defer root.Close()
	cutoff := time.Now().Add(-time.Duration(*p.OlderThanHours * float64(time.Hour)))
	res := CleanupResult{DryRun: p.DryRun, Files: []string{}}
	err = fs.WalkDir(root.FS(), dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return h.visit(root, name, d, p, cutoff, &res)
	})
	if errors.Is(err, fs.ErrNotExist) && res.Scanned == 0 {
		return nil, invalid(t.TaskType, "path %q does not exist under the cleanup root", p.Path)
	}
	if err != nil {
		return res, fmt.Errorf("file cleanup: %w", err)
	}
	h.log.InfoContext(ctx, "file cleanup done", "dir", dir, "deleted", res.Deleted, "bytes", res.BytesFreed, "dry_run", p.DryRun)
	return res, nil
}

func (h cleanupHandler) visit(root *os.Root, name string, d fs.DirEntry, p cleanupPayload, cutoff time.Time, res *CleanupResult) error {
	if !d.Type().IsRegular() {
		return nil
	}
	res.Scanned++
	if ok, _ := path.Match(p.Pattern, d.Name()); p.Pattern != "" && !ok {
		return nil
	}
	info, err := d.Info()
	if err != nil || !info.ModTime().Before(cutoff) {
		return nil
	}
	if !p.DryRun {
		if err := root.Remove(name); err != nil {
			return err
		}
	}
	res.Deleted++
	res.BytesFreed += info.Size()
	if len(res.Files) < maxListedFiles {
		res.Files = append(res.Files, name)
	}
	return nil
}
