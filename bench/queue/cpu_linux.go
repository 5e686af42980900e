package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// serverCPU returns the CPU time used so far by the PostgreSQL server whose
// postmaster has pid: the postmaster's own, that of the backends it has
// reaped, and that of its live children. The difference of two readings is
// what the server spent in between, waiting for the CPU not included: on a
// shared machine it moves much less than wall time.
func serverCPU(pid int) (time.Duration, bool) {
	if pid <= 0 {
		return 0, false
	}
	total, ok := procTicks(pid, true)
	if !ok {
		return 0, false
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if parentOf(child) == pid {
			t, _ := procTicks(child, false)
			total += t
		}
	}
	return time.Duration(total) * time.Second / clockTicks, true
}

// clockTicks is USER_HZ, the unit of /proc/*/stat times: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// statFields returns the fields of /proc/pid/stat after the command name.
func statFields(pid int) []string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

func parentOf(pid int) int {
	f := statFields(pid)
	if len(f) < 2 {
		return -1
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// procTicks sums utime and stime (fields 14 and 15 of stat), and with
// reaped also cutime and cstime.
func procTicks(pid int, reaped bool) (int64, bool) {
	f := statFields(pid)
	if len(f) < 15 {
		return 0, false
	}
	n := 2
	if reaped {
		n = 4
	}
	var sum int64
	for _, v := range f[11 : 11+n] {
		t, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, false
		}
		sum += t
	}
	return sum, true
}

// postmasterPID reads the server's pid from its postmaster.pid file, when
// the server runs on this machine and the user may read it (a superuser).
func postmasterPID(ctx context.Context, pool *pgxpool.Pool) int {
	var content string
	if err := pool.QueryRow(ctx, `SELECT pg_read_file('postmaster.pid')`).Scan(&content); err != nil {
		return 0
	}
	first, _, _ := strings.Cut(content, "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return 0
	}
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err != nil {
		return 0 // another machine
	}
	return pid
}

// selfCPU is the CPU time this process has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
