package pgembed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// child is a process started by startChild; done is closed once it has exited and been reaped.
type child struct {
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// startChild starts path with a parent-death signal. Linux sends that signal when the thread that
// forked the child exits, not the process, so the fork happens on a goroutine locked to its thread
// that stays alive (waiting for the child) for as long as the child runs.
func startChild(path string, args []string, dir string, acct account, deathSig syscall.Signal, out *tail) (*child, error) {
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = childEnv(path)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: deathSig, Credential: acct.credential()}
	c := &child{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.waitErr = cmd.Wait()
		close(c.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return c, nil
}

// childEnv is a small, predictable environment: no PG* variables of the caller leak in.
func childEnv(path string) []string {
	env := []string{"PATH=" + filepath.Dir(path) + ":/usr/bin:/bin", "LC_ALL=C", "LANG=C"}
	if tz, ok := os.LookupEnv("TZ"); ok {
		env = append(env, "TZ="+tz)
	}
	return env
}

func (c *child) signal(sig syscall.Signal) error {
	select {
	case <-c.done:
		return os.ErrProcessDone
	default:
		return c.cmd.Process.Signal(sig)
	}
}

// quit asks postgres for an immediate shutdown, which still removes its shared memory, and kills
// it if it has not exited within 5 seconds.
func (c *child) quit() {
	_ = c.signal(syscall.SIGQUIT)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		c.kill()
	}
}

// kill ends the process at once and waits until it is reaped.
func (c *child) kill() {
	_ = c.signal(syscall.SIGKILL)
	<-c.done
}

// wait runs the child to completion, killing it when ctx ends.
func (c *child) wait(ctx context.Context) error {
	select {
	case <-c.done:
		return c.waitErr
	case <-ctx.Done():
		c.kill()
		return ctx.Err()
	}
}

// initdb creates a cluster in dataDir: superuser "postgres", trust authentication (the server
// listens on loopback only), UTF8 with the C locale so sorting does not depend on the machine.
func initdb(ctx context.Context, bin, dataDir string, throwAway bool, acct account, out *tail) error {
	args := []string{"-D", dataDir, "--auth=trust", "-U", User, "--encoding=UTF8", "--locale=C"}
	if throwAway {
		args = append(args, "--no-sync")
	}
	c, err := startChild(filepath.Join(bin, "initdb"), args, filepath.Dir(dataDir), acct, syscall.SIGKILL, out)
	if err == nil {
		err = c.wait(ctx)
	}
	if err != nil {
		return fmt.Errorf("pgembed: initdb %s: %w\n%s", dataDir, err, out.String())
	}
	return nil
}

var errPortTaken = errors.New("port taken")

// waitReady waits until postmaster.pid says "ready", the way pg_ctl does, or the process exits.
func waitReady(ctx context.Context, dataDir string, c *child) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if pidFileStatus(dataDir) == "ready" {
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("postgres exited: %v", c.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// pidFileStatus returns line 8 of postmaster.pid, the postmaster's state ("starting", "ready"…).
func pidFileStatus(dataDir string) string {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 8 {
		return ""
	}
	return strings.TrimSpace(lines[7])
}

// anyProcessIn reports whether a process has dir as its working directory: every PostgreSQL process
// works in its data directory, so this finds backends that outlive a killed postmaster.
func anyProcessIn(dir string) bool {
	return len(processesIn(dir)) > 0
}

// processesIn lists the pids of processes whose working directory is dir.
func processesIn(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		if cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd")); err == nil && cwd == dir {
			pids = append(pids, pid)
		}
	}
	return pids
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
