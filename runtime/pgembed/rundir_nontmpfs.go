//go:build !linux

package pgembed

// tmpfsDirs: macOS and Windows have no memory file system mounted by default; throw-away
// clusters go to the temporary directory, with durability off (testSettings) instead.
func tmpfsDirs() []string { return nil }
