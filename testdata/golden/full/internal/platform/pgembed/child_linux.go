package pgembed

import (
	"runtime"
	"syscall"
)

// start starts the child with a parent-death signal. Linux sends that signal when the thread that
// forked the child exits, not the process, so the fork happens on a goroutine locked to its thread
// that stays alive (waiting for the child) for as long as the child runs. Its own process group
// keeps a terminal's Ctrl-C away from it: the owner decides when it stops.
func (c *child) start(acct account, onDeath stopMode) error {
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: unixSignal(onDeath), Credential: acct.credential(), Setpgid: true}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := c.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.reap()
	}()
	return <-started
}
