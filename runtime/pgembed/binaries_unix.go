//go:build unix

package pgembed

import "io/fs"

// hostRoot is the root the install layouts are relative to.
func hostRoot() string { return "/" }

func executableMode(m fs.FileMode) bool { return m.Perm()&0o111 != 0 }
