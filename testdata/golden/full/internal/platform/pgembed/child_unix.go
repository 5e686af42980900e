//go:build unix

package pgembed

import (
	"os"
	"path/filepath"
)

// childEnv is a small, predictable environment: no PG* variables of the caller leak in.
func childEnv(path string) []string {
	env := []string{"PATH=" + filepath.Dir(path) + ":/usr/bin:/bin", "LC_ALL=C", "LANG=C"}
	if tz, ok := os.LookupEnv("TZ"); ok {
		env = append(env, "TZ="+tz)
	}
	return env
}

func (c *child) signal(mode stopMode) error {
	return c.cmd.Process.Signal(unixSignal(mode))
}
