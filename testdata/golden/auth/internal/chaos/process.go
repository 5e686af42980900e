package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// proc is one process of the service (a server or a worker) that the run
// starts, kills and starts again. Its output, across restarts, goes to one
// log file.
type proc struct {
	name string
	bin  string
	args []string
	env  []string
	// port is a server's HTTP port, kept across restarts; 0 for a worker.
	port int
	log  io.Writer
	// crashed is called when the process ends without the run ending it.
	crashed func(p *proc, err error)

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	ending  bool
	started int
	// pids are the process ids of every start, to name a process from a
	// record that holds its pid (a task's locked_by).
	pids []int
}

// start runs the process; it does nothing when it already runs.
func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return nil
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = childAttr()
	p.started++
	fmt.Fprintf(p.log, "\n=== chaos: %s start #%d at %s\n", p.name, p.started, time.Now().Format(time.RFC3339Nano))
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("chaos: start %s: %w", p.name, err)
	}
	p.cmd, p.exited, p.ending = cmd, make(chan struct{}), false
	p.pids = append(p.pids, cmd.Process.Pid)
	go p.wait(cmd, p.exited)
	return nil
}

func (p *proc) wait(cmd *exec.Cmd, exited chan struct{}) {
	err := cmd.Wait()
	p.mu.Lock()
	ending := p.ending
	p.cmd = nil
	p.mu.Unlock()
	close(exited)
	if !ending && p.crashed != nil {
		p.crashed(p, err)
	}
}

// pid is the process id, or 0 when it does not run.
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *proc) alive() bool { return p.pid() != 0 }

// end marks the process as ended by the run and returns what to wait on;
// nil when it does not run.
func (p *proc) end() (*os.Process, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return nil, nil
	}
	p.ending = true
	return p.cmd.Process, p.exited
}

// kill ends the process at once: SIGKILL, or TerminateProcess on Windows.
// Nothing of it runs after: no shutdown, no release of its tasks.
func (p *proc) kill() {
	proc, exited := p.end()
	if proc == nil {
		return
	}
	fmt.Fprintf(p.log, "\n=== chaos: %s killed at %s\n", p.name, time.Now().Format(time.RFC3339Nano))
	_ = proc.Kill()
	<-exited
}

// stop asks the process to shut down (an interrupt, as Ctrl-C does) and
// kills it when it has not exited within grace. Windows has no interrupt for
// another process: there it is killed at once.
func (p *proc) stop(grace time.Duration) {
	proc, exited := p.end()
	if proc == nil {
		return
	}
	if err := proc.Signal(os.Interrupt); err != nil {
		_ = proc.Kill()
	}
	select {
	case <-exited:
	case <-time.After(grace):
		_ = proc.Kill()
		<-exited
	}
}

// fleet is every process of a run.
type fleet struct {
	servers []*proc
	workers []*proc
	logs    []*os.File
}

// fleetSpec says which processes a run starts and how.
type fleetSpec struct {
	bin        string
	env        []string
	serverArgs []string
	workerArgs []string
	servers    int
	workers    int
	logDir     string
	crashed    func(p *proc, err error)
}

// newFleet prepares the processes (nothing runs yet): each server gets a
// free port of its own, kept across restarts, so clients find it again.
func newFleet(s fleetSpec) (*fleet, error) {
	f := &fleet{}
	add := func(name string, args []string, port int) (*proc, error) {
		log, err := os.Create(filepath.Join(s.logDir, name+".log"))
		if err != nil {
			return nil, fmt.Errorf("chaos: %w", err)
		}
		f.logs = append(f.logs, log)
		env := append([]string{}, s.env...)
		if port != 0 {
			env = append(env, "PORT="+fmt.Sprint(port), "HOST=127.0.0.1")
		}
		return &proc{name: name, bin: s.bin, args: args, env: env, port: port, log: log, crashed: s.crashed}, nil
	}
	for i := range s.servers {
		port, err := freePort()
		if err != nil {
			return nil, errors.Join(err, f.close())
		}
		p, err := add(fmt.Sprintf("server-%d", i+1), s.serverArgs, port)
		if err != nil {
			return nil, errors.Join(err, f.close())
		}
		f.servers = append(f.servers, p)
	}
	for i := range s.workers {
		p, err := add(fmt.Sprintf("worker-%d", i+1), s.workerArgs, 0)
		if err != nil {
			return nil, errors.Join(err, f.close())
		}
		f.workers = append(f.workers, p)
	}
	return f, nil
}

func (f *fleet) all() []*proc { return append(append([]*proc{}, f.servers...), f.workers...) }

// startAll starts every process that does not run.
func (f *fleet) startAll() error {
	for _, p := range f.all() {
		if err := p.start(); err != nil {
			return err
		}
	}
	return nil
}

// stopAll shuts every process down at once, each within grace.
func (f *fleet) stopAll(grace time.Duration) {
	var wg sync.WaitGroup
	for _, p := range f.all() {
		wg.Go(func() { p.stop(grace) })
	}
	wg.Wait()
}

func (f *fleet) close() error {
	var errs []error
	for _, l := range f.logs {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

// byPID names the process that ran with pid, or "" for none of the run's.
func (f *fleet) byPID(pid int) string {
	for _, p := range f.all() {
		p.mu.Lock()
		found := slices.Contains(p.pids, pid)
		p.mu.Unlock()
		if found {
			return p.name
		}
	}
	return ""
}

// sleep waits d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// freePort returns a TCP port free on the loopback now. Another process may
// take it before the server listens; the server then fails to start, which
// the run reports.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("chaos: free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
