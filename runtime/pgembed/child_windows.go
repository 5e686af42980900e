package pgembed

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// start starts the child in a job object that kills its processes when its last handle closes:
// this process holds the only one, and Windows closes it when this process ends, however it
// ends. The child is assigned right after it starts; postgres starts its own processes later (and
// each of them exits when it sees the postmaster gone). A new process group keeps a console's
// Ctrl-C away from it: the owner decides when it stops.
func (c *child) start(_ account, _ stopMode) error {
	c.cmd.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags: windows.CREATE_NEW_PROCESS_GROUP | windows.CREATE_NO_WINDOW,
	}
	job, err := killOnCloseJob()
	if err != nil {
		return err
	}
	if err := c.cmd.Start(); err != nil {
		windows.CloseHandle(job)
		return err
	}
	if err := assignToJob(job, c.cmd.Process.Pid); err != nil {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
		windows.CloseHandle(job)
		return err
	}
	c.release = func() { windows.CloseHandle(job) }
	go c.reap()
	return nil
}

func killOnCloseJob() (windows.Handle, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0, fmt.Errorf("job object: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	_, err = windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)))
	if err != nil {
		windows.CloseHandle(job)
		return 0, fmt.Errorf("job object: %w", err)
	}
	return job, nil
}

func assignToJob(job windows.Handle, pid int) error {
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(pid))
	if err != nil {
		return fmt.Errorf("job object: %w", err)
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		return fmt.Errorf("job object: %w", err)
	}
	return nil
}

func (c *child) signal(mode stopMode) error {
	if err := signalPid(c.cmd.Process.Pid, mode); err != nil {
		return c.cmd.Process.Kill() // no signal pipe (not postgres, or not listening yet)
	}
	return nil
}

// childEnv is a small, predictable environment: no PG* variables of the caller leak in. Windows
// programs need SystemRoot (sockets do not work without it) and a temporary directory.
func childEnv(path string) []string {
	root := os.Getenv("SystemRoot")
	env := []string{"PATH=" + filepath.Dir(path) + ";" + filepath.Join(root, "System32") + ";" + root}
	for _, name := range []string{"SystemRoot", "SystemDrive", "TEMP", "TMP", "TZ"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	return env
}
