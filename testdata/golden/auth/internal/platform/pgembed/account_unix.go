//go:build unix

package pgembed

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

func currentAccount() (account, error) {
	if os.Geteuid() != 0 {
		return processAccount(), nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 == nil && err2 == nil && uid != 0 {
			return account{switchUser: true, uid: uid, gid: gid, id: u.Uid}, nil
		}
	}
	return account{}, fmt.Errorf("pgembed: running as root and no user \"postgres\" or \"nobody\" to run PostgreSQL as")
}

// processAccount is this process's own user, without a switch.
func processAccount() account {
	uid := os.Geteuid()
	return account{uid: uid, gid: os.Getegid(), id: strconv.Itoa(uid)}
}

// credential is nil when no switch is needed.
func (a account) credential() *syscall.Credential {
	if !a.switchUser {
		return nil
	}
	return &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid)}
}

// own gives path to the account when it is not this process. Lchown: a symbolic link planted in
// its place must not hand its target over.
func (a account) own(path string) error {
	if !a.switchUser {
		return nil
	}
	if err := os.Lchown(path, a.uid, a.gid); err != nil {
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

// checkOwner refuses path (described by fi, from Lstat or an open file) unless it belongs to the
// account and has exactly mode want; want 0 only forbids write access for group and others.
func (a account) checkOwner(path string, fi fs.FileInfo, want fs.FileMode) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("pgembed: %s: no owner information", path)
	}
	if int(st.Uid) != a.uid {
		return fmt.Errorf("pgembed: %s belongs to uid %d, not to uid %d who runs PostgreSQL; "+
			"someone else may have planted it: remove it", path, st.Uid, a.uid)
	}
	perm := fi.Mode().Perm()
	if (want != 0 && perm != want) || (want == 0 && perm&0o022 != 0) {
		return fmt.Errorf("pgembed: %s has mode %#o, want %s; others may have changed what it holds: "+
			"remove it", path, perm, wantText(want))
	}
	return nil
}

// mkdirPrivate creates dir readable by the account alone.
func (a account) mkdirPrivate(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	return a.own(dir)
}

// openNoFollow opens path for reading unless it is a symbolic link; O_NONBLOCK keeps a fifo put in
// place of a file from blocking the open (the caller then refuses it as not a regular file).
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}
