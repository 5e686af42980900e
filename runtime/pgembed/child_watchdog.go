//go:build unix && !linux

package pgembed

import (
	"fmt"
	"syscall"
)

// start starts the child and a watchdog that stops it when this process dies: macOS and the BSDs
// have no parent-death signal. Between the two starts the child is unguarded for an instant; a
// server orphaned then is stopped by the next Start in its directory (clearStale). Its own
// process group keeps a terminal's Ctrl-C away from it: the owner decides when it stops.
func (c *child) start(acct account, onDeath stopMode) error {
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: acct.credential(), Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		return err
	}
	w, err := startWatchdog(c.cmd.Process.Pid, unixSignal(onDeath))
	if err != nil {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
		return fmt.Errorf("watchdog: %w", err)
	}
	c.release = w.disarm
	go c.reap()
	return nil
}
