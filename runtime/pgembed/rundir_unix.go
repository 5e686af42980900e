//go:build unix

package pgembed

// sharedTempDir is the last resort for root's throw-away clusters: a private TMPDIR of root's
// cannot be entered by the user who runs PostgreSQL.
func sharedTempDir() string { return "/var/tmp" }
