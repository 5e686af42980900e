package pgembed

import "syscall"

// tmpfsDirs lists the memory file systems for throw-away clusters: /dev/shm with enough room.
func tmpfsDirs() []string {
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil || st.Bavail*uint64(st.Bsize) < minTmpfsFree {
		return nil
	}
	return []string{"/dev/shm"}
}
