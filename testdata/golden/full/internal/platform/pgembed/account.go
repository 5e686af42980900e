package pgembed

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
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
// /var/tmp/pgembed-<hash of the absolute requested path>, so the unprivileged user can always reach
// it, wherever the project lives.
func persistentDir(requested string, acct account) (string, error) {
	abs, err := filepath.Abs(requested)
	if err != nil {
		return "", fmt.Errorf("pgembed: data dir: %w", err)
	}
	if acct.switchUser {
		sum := sha256.Sum256([]byte(abs))
		abs = filepath.Join("/var/tmp", "pgembed-"+hex.EncodeToString(sum[:6]))
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("pgembed: data dir: %w", err)
	}
	if err := acct.own(abs); err != nil {
		return "", err
	}
	// initdb and postgres insist on a private data directory.
	if err := os.Chmod(abs, 0o700); err != nil {
		return "", fmt.Errorf("pgembed: data dir: %w", err)
	}
	return abs, nil
}
