package chaos

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestHelperProcess is the process of the process tests: it sleeps, or exits
// with status 3, as CHAOS_HELPER says; without it, it does nothing.
func TestHelperProcess(t *testing.T) {
	t.Parallel()
	switch os.Getenv("CHAOS_HELPER") {
	case "sleep":
		time.Sleep(time.Minute)
		os.Exit(0)
	case "exit":
		os.Exit(3)
	}
}

type crashLog struct {
	mu   sync.Mutex
	errs []string
	done chan struct{}
}

func (c *crashLog) crashed(_ *proc, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, err.Error())
	close(c.done)
}

func (c *crashLog) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.errs)
}

func helper(t *testing.T, mode string, crashes *crashLog) *proc {
	t.Helper()
	// A file, as a run's: the child writes to it directly, while the run
	// writes its own lines (a buffer would be written by two goroutines).
	log, err := os.Create(filepath.Join(t.TempDir(), "helper.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	p := &proc{name: "helper", bin: os.Args[0], args: []string{"-test.run=^TestHelperProcess$"},
		env: append(os.Environ(), "CHAOS_HELPER="+mode), log: log, crashed: crashes.crashed}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.kill)
	return p
}

// A process the run kills, or stops, did not crash; one that exits by
// itself did, and the run hears of it. A killed process starts again with a
// new pid, and both pids name it.
func TestProcessKillStopAndCrash(t *testing.T) {
	t.Parallel()
	crashes := &crashLog{done: make(chan struct{})}
	p := helper(t, "sleep", crashes)
	first := p.pid()
	p.kill()
	if p.alive() {
		t.Fatal("alive after kill")
	}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	second := p.pid()
	f := &fleet{workers: []*proc{p}}
	if f.byPID(first) != "helper" || f.byPID(second) != "helper" || second == first {
		t.Errorf("pids %d then %d: byPID names %q and %q", first, second, f.byPID(first), f.byPID(second))
	}
	p.stop(5 * time.Second)
	if p.alive() {
		t.Fatal("alive after stop")
	}
	if n := crashes.count(); n != 0 {
		t.Fatalf("%d crashes reported for a kill and a stop", n)
	}
	exiting := &crashLog{done: make(chan struct{})}
	helper(t, "exit", exiting)
	select {
	case <-exiting.done:
	case <-time.After(30 * time.Second):
		t.Fatal("a process that exited by itself was not reported")
	}
	if !strings.Contains(exiting.errs[0], "exit status 3") {
		t.Errorf("crash reported as %q", exiting.errs[0])
	}
}
