package pgembed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// relocationParent holds, as root, the account's directory with the relocated persistent clusters.
const relocationParent = "/var/tmp"

// locationFile, in the requested data directory of a relocated cluster, names the real one.
const locationFile = "LOCATION"

// persistentDir returns the data directory of a persistent cluster, creating it, and whether it
// was relocated. As root it is <relocationParent>/pgembed-<uid>/data-<hash of the absolute
// requested path>, so the unprivileged user can always reach it, wherever the project lives; the
// requested directory is still created, holding a LOCATION file that names the real one, and
// serves as the anchor: once it is gone (the project deleted, a test's temporary directory
// removed), the next Start as root removes the cluster too.
func persistentDir(ctx context.Context, requested string, acct account) (dir string, relocated bool, err error) {
	abs, err := filepath.Abs(requested)
	if err != nil {
		return "", false, fmt.Errorf("pgembed: data dir: %w", err)
	}
	if !acct.switchUser {
		return abs, false, ensureDataDir(abs, acct)
	}
	base := filepath.Join(relocationParent, userDirPrefix+acct.id)
	if err := ensurePrivateDir(base, acct); err != nil {
		return "", false, err
	}
	removeOrphans(ctx, base, acct)
	dir = relocatedDir(base, abs)
	adoptLegacy(dir, acct)
	if err := anchor(abs, dir, acct); err != nil {
		return "", false, err
	}
	return dir, true, ensureDataDir(dir, acct)
}

func relocatedDir(base, abs string) string {
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(base, dataPrefix+hex.EncodeToString(sum[:6]))
}

// adoptLegacy moves the cluster an older version of this package relocated to
// /var/tmp/pgembed-data-<hash> (a name anyone could take first) into the account's directory, so
// the project keeps its data. Only a directory of the account, private, in which no server runs, is
// moved; anything else there is left alone.
func adoptLegacy(dir string, acct account) {
	legacy := filepath.Join(relocationParent, userDirPrefix+filepath.Base(dir))
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	if checkPrivateDir(legacy, acct) != nil || serverIn(legacy, acct) != 0 {
		return
	}
	if os.Rename(legacy, dir) == nil {
		_ = os.Remove(legacy + ".origin")
	}
}

// anchor records the link between the requested directory abs and the cluster dir both ways:
// abs/LOCATION names the cluster (for the user), dir.origin names abs (for removeOrphans).
func anchor(abs, dir string, acct account) error {
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return fmt.Errorf("pgembed: data dir: %w", err)
	}
	note := dir + "\n\nPostgreSQL refuses to run as root, so the data of this cluster lives in the directory above,\n" +
		"owned by an unprivileged user. Deleting this directory deletes it at the next start.\n"
	if err := writePrivateFile(filepath.Join(abs, locationFile), []byte(note), account{}); err != nil {
		return err
	}
	return writePrivateFile(dir+".origin", []byte(abs), acct)
}

// ensureDataDir creates a data directory or checks the one that exists: a directory, not a link,
// of the account that others cannot write; its mode is then made 0700, which postgres insists on.
func ensureDataDir(dir string, acct account) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("pgembed: data dir: %w", err)
	}
	if err := acct.mkdirPrivate(dir); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pgembed: data dir: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("pgembed: data dir: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("pgembed: data dir %s is %s, not a directory: remove it", dir, kind(fi))
	}
	if err := acct.checkOwner(dir, fi, 0); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("pgembed: data dir: %w", err)
	}
	return nil
}

// removeOrphans removes relocated clusters whose requested directory is gone and in which no
// server runs.
func removeOrphans(ctx context.Context, base string, acct account) {
	origins, _ := filepath.Glob(filepath.Join(base, dataPrefix+"*.origin"))
	for _, origin := range origins {
		b, err := readPrivateFile(origin, acct, 0)
		if err != nil {
			continue
		}
		if _, err := os.Lstat(string(b)); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		dir := strings.TrimSuffix(origin, ".origin")
		if clearStale(ctx, dir, filepath.Join(dir, ownerFile), acct) == nil && !anyProcessIn(dir) && os.RemoveAll(dir) == nil {
			_ = os.Remove(origin)
		}
	}
}

// Cluster describes a persistent cluster (Options.DataDir) as found on disk.
type Cluster struct {
	// DataDir is where the data is: the requested directory, or the one it was relocated to.
	DataDir string
	// Relocated is true when DataDir is not the requested directory (this process is root).
	Relocated bool
	// Exists is true once initdb has made the cluster.
	Exists bool
	// PID is the process id of the server running in it, 0 when none runs.
	PID int
	// Bytes is the size of its files.
	Bytes int64
}

// Inspect describes the persistent cluster that Start with Options{DataDir: dataDir} uses,
// without starting or creating anything.
func Inspect(dataDir string) (Cluster, error) {
	acct, err := currentAccount()
	if err != nil {
		return Cluster{}, err
	}
	c, err := locate(dataDir, acct)
	if err != nil {
		return c, err
	}
	if _, err := os.Lstat(filepath.Join(c.DataDir, "PG_VERSION")); err == nil {
		c.Exists = true
		c.PID = serverIn(c.DataDir, acct)
		c.Bytes = treeSize(c.DataDir)
	}
	return c, nil
}

// Remove deletes the persistent cluster that Start with Options{DataDir: dataDir} uses, and the
// requested directory with its LOCATION file when it was relocated. It refuses while a server
// runs in it. It returns what it removed.
func Remove(dataDir string) (Cluster, error) {
	c, err := Inspect(dataDir)
	if err != nil || !c.Exists && !c.Relocated {
		return c, err
	}
	if c.PID != 0 {
		return c, fmt.Errorf("pgembed: a server (pid %d) runs in %s: stop it first", c.PID, c.DataDir)
	}
	if err := os.RemoveAll(c.DataDir); err != nil {
		return c, fmt.Errorf("pgembed: remove %s: %w", c.DataDir, err)
	}
	if c.Relocated {
		abs, _ := filepath.Abs(dataDir)
		_ = os.Remove(c.DataDir + ".origin")
		_ = os.Remove(filepath.Join(abs, locationFile))
		_ = os.Remove(abs) // only when nothing else is in it
	}
	return c, nil
}

// locate returns where the cluster requested at dataDir lives, checking the directories on the way.
func locate(dataDir string, acct account) (Cluster, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return Cluster{}, fmt.Errorf("pgembed: data dir: %w", err)
	}
	if !acct.switchUser {
		return Cluster{DataDir: abs}, nil
	}
	base := filepath.Join(relocationParent, userDirPrefix+acct.id)
	if _, err := os.Lstat(base); err == nil {
		if err := checkPrivateDir(base, acct); err != nil {
			return Cluster{}, err
		}
	}
	return Cluster{DataDir: relocatedDir(base, abs), Relocated: true}, nil
}

func treeSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
