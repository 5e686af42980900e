package pgembed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// stopMode is how postgres is asked to stop.
type stopMode int

const (
	// stopFast disconnects clients and writes a checkpoint: a clean shutdown (SIGINT).
	stopFast stopMode = iota
	// stopImmediate exits at once; the next start recovers (SIGQUIT).
	stopImmediate
	// stopKill ends the process without asking (SIGKILL, TerminateProcess).
	stopKill
)

// child is a process started by startChild; done is closed once it has exited and been reaped.
type child struct {
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	// release undoes what binds the child to this process once it has exited (a watchdog, a job
	// object); nil when nothing does.
	release     func()
	releaseOnce sync.Once
}

// startChild starts path so that it cannot outlive this process: when this process dies, even
// by kill -9, the child gets onDeath (each platform's start says how). It runs as acct.
func startChild(path string, args []string, dir string, acct account, onDeath stopMode, stdin io.Reader, out *tail) (*child, error) {
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = childEnv(path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, out, out
	c := &child{cmd: cmd, done: make(chan struct{})}
	if err := c.start(acct, onDeath); err != nil {
		return nil, err
	}
	return c, nil
}

// reap waits for the child and then releases what bound it to this process.
func (c *child) reap() {
	c.waitErr = c.cmd.Wait()
	c.releaseNow()
	close(c.done)
}

func (c *child) releaseNow() {
	if c.release != nil {
		c.releaseOnce.Do(c.release)
	}
}

// stop asks the child to stop; os.ErrProcessDone when it has already exited.
func (c *child) stop(mode stopMode) error {
	select {
	case <-c.done:
		return os.ErrProcessDone
	default:
	}
	if mode == stopKill {
		return c.cmd.Process.Kill()
	}
	return c.signal(mode)
}

// quit asks postgres for an immediate shutdown, which still removes its shared memory, and kills
// it if it has not exited within 5 seconds.
func (c *child) quit() {
	_ = c.stop(stopImmediate)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		c.kill()
	}
}

// kill ends the process at once and waits until it is reaped.
func (c *child) kill() {
	_ = c.stop(stopKill)
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

// initdb creates a cluster in dataDir: superuser "postgres" with the password in pwFile and
// scram-sha-256 authentication for every connection, UTF8 with the C locale so sorting does not
// depend on the machine.
func initdb(ctx context.Context, bin, dataDir, pwFile string, throwAway bool, acct account, out *tail) error {
	args := append([]string{"-D", dataDir, "--pwfile=" + pwFile}, initdbOptions(throwAway)...)
	c, err := startChild(filepath.Join(bin, "initdb"+hostLayout().exe), args, filepath.Dir(dataDir), acct, stopKill, nil, out)
	if err == nil {
		err = c.wait(ctx)
	}
	if err != nil {
		return fmt.Errorf("pgembed: initdb %s: %w\n%s", dataDir, err, out.String())
	}
	return nil
}

// initdbOptions are initdb's options but the directory and the password file; the cache key
// includes them, so a cluster cached with other options is not reused.
func initdbOptions(throwAway bool) []string {
	opts := []string{"--auth=scram-sha-256", "-U", User, "--encoding=UTF8", "--locale=C"}
	if throwAway {
		opts = append(opts, "--no-sync")
	}
	return opts
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
			return fmt.Errorf("postgres exited: %w", c.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
