package pgembed

// sharedTempDir: none on Windows, where every account has its own temporary directory.
func sharedTempDir() string { return "" }
