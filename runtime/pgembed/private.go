package pgembed

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// The directories and files of a cluster belong to the account that runs it and to nobody else:
// another local user who could plant a cluster, a cached initdb output or a symbolic link in them
// could make this process (maybe root) start a server they configured or copy a file they may not
// read. So every directory is created private (mode 0700 on Unix, a DACL of the user alone on
// Windows) and, before use, checked with Lstat: a directory, not a link, owned by the account,
// private. What fails the check is refused with an error saying what to remove, never repaired:
// whoever planted it may have put something inside.

// ensurePrivateDir creates dir private to the account, or checks the one that exists.
func ensurePrivateDir(dir string, acct account) error {
	if err := acct.mkdirPrivate(dir); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pgembed: %w", err)
	}
	return checkPrivateDir(dir, acct)
}

// checkPrivateDir refuses dir unless it is a directory (not a link) private to the account.
func checkPrivateDir(dir string, acct account) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("pgembed: %s is not a directory but %s; someone may have planted it: remove it", dir, kind(fi))
	}
	return acct.checkOwner(dir, fi, 0o700)
}

// readPrivateFile reads a regular file of the account with mode want (0: any mode that others
// cannot write), without following a symbolic link.
func readPrivateFile(path string, acct account, want fs.FileMode) ([]byte, error) {
	f, err := openNoFollow(path)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("pgembed: %s is a symbolic link; someone may have planted it: remove it", path)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("pgembed: %s is not a regular file but %s: remove it", path, kind(fi))
	}
	if err := acct.checkOwner(path, fi, want); err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(f, 1<<20))
}

// writePrivateFile writes data to a new file of the account, mode 0600, replacing an old one
// without following a link that was there.
func writePrivateFile(path string, data []byte, acct account) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgembed: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pgembed: write %s: %w", path, err)
	}
	return acct.own(path)
}

// kind describes what a path that should be a directory or a regular file is instead.
func kind(fi fs.FileInfo) string {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return "a symbolic link"
	case fi.IsDir():
		return "a directory"
	case fi.Mode().IsRegular():
		return "a file"
	default:
		return "a special file (" + fi.Mode().Type().String() + ")"
	}
}

func wantText(want fs.FileMode) string {
	if want == 0 {
		return "no write access for group and others"
	}
	return fmt.Sprintf("%#o", want)
}
