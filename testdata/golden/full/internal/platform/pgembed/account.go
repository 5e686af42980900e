package pgembed

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// account is who runs initdb and postgres: this process, or an unprivileged user when this process
// is root (PostgreSQL refuses to run as root).
type account struct {
	switchUser bool
	uid, gid   int
}

func currentAccount() (account, error) {
	if os.Geteuid() != 0 {
		return account{uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 == nil && err2 == nil && uid != 0 {
			return account{switchUser: true, uid: uid, gid: gid}, nil
		}
	}
	return account{}, fmt.Errorf("pgembed: running as root and no user \"postgres\" or \"nobody\" to run PostgreSQL as")
}

// credential is nil when no switch is needed.
func (a account) credential() *syscall.Credential {
	if !a.switchUser {
		return nil
	}
	return &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid)}
}

// own gives path to the account when it is not this process.
func (a account) own(path string) error {
	if !a.switchUser {
		return nil
	}
	if err := os.Chown(path, a.uid, a.gid); err != nil {
		return fmt.Errorf("pgembed: chown %s: %w", path, err)
	}
	return nil
}

// canReach reports whether the account can traverse every directory down to dir.
func (a account) canReach(dir string) bool {
	if !a.switchUser {
		return true
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for p := abs; ; p = filepath.Dir(p) {
		if !a.canTraverse(p) {
			return false
		}
		if p == filepath.Dir(p) {
			return true
		}
	}
}

func (a account) canTraverse(dir string) bool {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	perm := fi.Mode().Perm()
	switch {
	case int(st.Uid) == a.uid:
		return perm&0o100 != 0
	case int(st.Gid) == a.gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// persistentDir returns the data directory of a persistent cluster, creating it. As root it is
// /var/tmp/pgembed-data-<hash of the absolute requested path>, so the unprivileged user can always reach
// it, wherever the project lives; the requested directory is still created, holding a LOCATION
// file that names the real one, and serves as the anchor: once it is gone (the project deleted,
// a test's temporary directory removed), the next Start removes the cluster too.
func persistentDir(requested string, acct account) (string, error) {
	abs, err := filepath.Abs(requested)
	if err != nil {
		return "", fmt.Errorf("pgembed: data dir: %w", err)
	}
	dir := abs
	if acct.switchUser {
		removeOrphans(relocatedBase)
		if dir, err = relocate(abs); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("pgembed: data dir: %w", err)
	}
	if err := acct.own(dir); err != nil {
		return "", err
	}
	// initdb and postgres insist on a private data directory.
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("pgembed: data dir: %w", err)
	}
	return dir, nil
}

// relocatedBase holds the clusters of root's projects.
const relocatedBase = "/var/tmp"

// relocate returns where the cluster requested at abs lives when running as root, and records
// the link both ways: abs/LOCATION names the cluster, <cluster>.origin names abs.
func relocate(abs string) (string, error) {
	sum := sha256.Sum256([]byte(abs))
	dir := filepath.Join(relocatedBase, runDirPrefix+"data-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", fmt.Errorf("pgembed: data dir: %w", err)
	}
	note := "PostgreSQL refuses to run as root, so this cluster lives in " + dir + "\n" +
		"(owned by an unprivileged user); deleting this directory deletes it at the next start.\n"
	if err := os.WriteFile(filepath.Join(abs, "LOCATION"), []byte(note), 0o644); err != nil {
		return "", fmt.Errorf("pgembed: data dir: %w", err)
	}
	if err := os.WriteFile(dir+".origin", []byte(abs), 0o644); err != nil {
		return "", fmt.Errorf("pgembed: data dir: %w", err)
	}
	return dir, nil
}

// removeOrphans removes relocated clusters whose requested directory is gone and which no
// process runs in.
func removeOrphans(base string) {
	origins, _ := filepath.Glob(filepath.Join(base, runDirPrefix+"data-*.origin"))
	for _, origin := range origins {
		b, err := os.ReadFile(origin)
		if err != nil {
			continue
		}
		if _, err := os.Stat(string(b)); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		dir := strings.TrimSuffix(origin, ".origin")
		if !anyProcessIn(dir) && os.RemoveAll(dir) == nil {
			_ = os.Remove(origin)
		}
	}
}
