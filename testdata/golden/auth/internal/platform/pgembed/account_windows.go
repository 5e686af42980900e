package pgembed

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// errElevated: postgres.exe refuses to run with administrator rights, as postgres refuses root.
var errElevated = errors.New("pgembed: PostgreSQL refuses to run with administrator rights: " +
	"run this from a terminal that is not elevated (\"Run as administrator\"), or set DATABASE_URL")

// currentAccount is this process's user: Windows has no switch to another user short of a
// password, so an elevated process is refused instead.
func currentAccount() (account, error) {
	if windows.GetCurrentProcessToken().IsElevated() {
		return account{}, errElevated
	}
	a := processAccount()
	if a.id == "" {
		return account{}, errors.New("pgembed: cannot tell the current user's SID")
	}
	return a, nil
}

// processAccount is this process's own user; its id is empty when the SID cannot be read.
func processAccount() account {
	a := account{uid: -1, gid: -1}
	if u, err := windows.GetCurrentProcessToken().GetTokenUser(); err == nil {
		a.id = u.User.Sid.String()
	}
	return a
}

func (a account) own(string) error { return nil }

func (a account) canReach(string) bool { return true }

// checkOwner refuses path unless the account's SID owns it. Mode bits mean nothing on Windows:
// the directories are private by their DACL (mkdirPrivate) instead.
func (a account) checkOwner(path string, _ fs.FileInfo, _ fs.FileMode) error {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("pgembed: owner of %s: %w", path, err)
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return fmt.Errorf("pgembed: owner of %s: %w", path, err)
	}
	want, err := windows.StringToSid(a.id)
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if !owner.Equals(want) {
		return fmt.Errorf("pgembed: %s belongs to %s, not to %s who runs PostgreSQL; "+
			"someone else may have planted it: remove it", path, owner, a.id)
	}
	return nil
}

// mkdirPrivate creates dir with a protected DACL granting the account (and the system) full
// control, inherited by everything created inside: the Windows form of mode 0700.
func (a account) mkdirPrivate(dir string) error {
	sd, err := windows.SecurityDescriptorFromString("D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;" + a.id + ")")
	if err != nil {
		return fmt.Errorf("security descriptor: %w", err)
	}
	sa := windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(sa))
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return err
	}
	if err := windows.CreateDirectory(p, &sa); err != nil {
		return &fs.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	return nil
}

// openNoFollow opens path for reading unless it is a symbolic link or junction: the handle is
// opened on the reparse point itself, and refused when it is one.
func openNoFollow(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ, windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_FLAG_OPEN_REPARSE_POINT|windows.FILE_FLAG_BACKUP_SEMANTICS, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var info windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &info); err != nil {
		windows.CloseHandle(h)
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	if info.FileAttributes&windows.FILE_ATTRIBUTE_REPARSE_POINT != 0 {
		windows.CloseHandle(h)
		return nil, &fs.PathError{Op: "open", Path: path, Err: syscall.ELOOP}
	}
	return os.NewFile(uintptr(h), path), nil
}
