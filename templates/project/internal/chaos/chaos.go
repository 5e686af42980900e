// Package chaos is the service's fault-injection suite (`NAME chaos`). It
// starts the service's own binary as separate processes (API servers and,
// with tasks, workers) on one PostgreSQL, drives load through the HTTP API,
// and breaks things while the load runs: the database stopped hard and
// started again, workers killed, a flood of tasks, a failing webhook target,
// all of it at random. Then it checks, from records kept apart from the
// service (a trigger's log in the database, its own webhook target, every
// HTTP answer), that no task was lost or run twice, that no request failed
// with a 5xx other than 503, and that readiness came back within 5 s of the
// database.
package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starter-go/starter/templates/project/internal/database"
)

// Options configure Run. The zero value of each field but Binary has the
// default documented on it.
type Options struct {
	// Level is 1 (a baseline) to MaxLevel, each adding faults to the ones
	// before. Default 1. Without the tasks feature only levels 1 and 2 exist.
	Level int
	// Duration is how long the load runs, baseline and faults together; the
	// drain comes after. Default 60s; at least 5s.
	Duration time.Duration
	// Binary is the service's executable, started as `serve` and `worker`. Required.
	Binary string
	// Env is the environment of the processes before the run's own settings
	// (DATABASE_URL, PORT, …). Default: none.
	Env []string
	// DatabaseURL aims the run at an existing database, whose outages a proxy
	// then simulates. Default: a throw-away PostgreSQL, stopped for real.
	DatabaseURL string
	// Progress receives a progress line every few seconds and the report's
	// table. Default: discarded.
	Progress io.Writer
	// Seed makes the random choices of a run repeatable. Default: random.
	Seed uint64
	// LogDir receives the processes' logs. Default: a temporary directory,
	// removed when the run passes.
	LogDir string
}

// injector injects one fault lasting hold and undoes it before returning.
type injector func(ctx context.Context, hold time.Duration) error

// workload is one kind of load and what it checks: probes of every
// service, tasks where the service has them.
type workload interface {
	// env is what the service's processes need for it.
	env() []string
	// prepare runs before the processes start.
	prepare(ctx context.Context, r *run) error
	// begin runs once every server is ready.
	begin(ctx context.Context, r *run) error
	// drive sends load until ctx ends.
	drive(ctx context.Context, r *run)
	// faults are its own faults, by kind.
	faults(r *run) map[string]injector
	// progress is a few words for the progress line ("" for none).
	progress(ctx context.Context) string
	// settle waits until everything it started is final, or ctx ends.
	settle(ctx context.Context, r *run) error
	// account adds its counts and broken rules to rep.
	account(ctx context.Context, r *run, rep *Report) error
	// close releases what prepare took.
	close(ctx context.Context) error
}

// features is what this service can be put through.
type features struct {
	maxLevel   int
	serverArgs []string
	workerArgs []string
	loads      []workload
}

// suite returns the workloads of this service's features and the highest
// level they reach. Without tasks there is nothing for levels 3–6 to break
// (no workers, no queue to flood, no webhook breaker), so they stop at 2.
func suite() features {
	f := features{maxLevel: 2, serverArgs: []string{"serve"}, loads: []workload{&probes{}}}
	// starter:feature tasks
	f.maxLevel = MaxLevel
	f.serverArgs = []string{"serve", "--no-worker"}
	f.workerArgs = []string{"worker"}
	f.loads = append(f.loads, newTaskLoad())
	// starter:end
	return f
}

// Levels returns the highest level this service supports.
func Levels() int { return suite().maxLevel }

// run is one run of the suite.
type run struct {
	opts   Options
	plan   plan
	seed   uint64
	db     dbControl
	fleet  *fleet
	client *client
	loads  []workload
	logDir string
	out    io.Writer

	// dbDown is true while the database is away; dbFault while a restart
	// and its readiness check run (server kills wait for it to end).
	dbDown  atomic.Bool
	dbFault atomic.Bool
	ending  atomic.Bool
	phase   atomic.Value
	// started is when the run started; began when its load did.
	started time.Time
	began   time.Time

	mu      sync.Mutex
	rngs    *rand.Rand
	faults  map[string]int
	outages []outage
	// crashes counts, by process, the exits the run did not cause, with the first.
	crashes  map[string]crash
	windows  map[string][]window
	restarts sync.WaitGroup
}

// crash is how often a process exited by itself, and the first time.
type crash struct {
	count int
	first string
}

// outage is one absence of the database and how long readiness took to come back.
type outage struct {
	down, up time.Time
	recovery time.Duration
	ready    bool
}

// window is when a fault lasted.
type window struct{ from, to time.Time }

// Run runs the suite at opts.Level and returns its report. An error means
// the run could not be made (no PostgreSQL, a process that does not start);
// a broken rule is a report with Passed false.
func Run(ctx context.Context, opts Options) (*Report, error) {
	opts, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}
	f := suite()
	if opts.Level > f.maxLevel {
		return nil, fmt.Errorf("chaos: level %d needs the tasks feature (workers, a queue to flood, a webhook breaker); "+
			"this service has levels 1–%d", opts.Level, f.maxLevel)
	}
	r := &run{opts: opts, seed: opts.Seed, loads: f.loads, out: opts.Progress,
		faults: map[string]int{}, windows: map[string][]window{}, crashes: map[string]crash{}, started: time.Now()}
	r.plan = newPlan(opts.Level, opts.Duration, len(f.workerArgs) > 0)
	r.rngs = rand.New(rand.NewPCG(r.seed, r.seed^0x9e3779b97f4a7c15))
	r.phase.Store("setup")
	r.client = newClient(r.dbDown.Load)
	return r.execute(ctx, f)
}

func withDefaults(o Options) (Options, error) {
	if o.Level == 0 {
		o.Level = 1
	}
	if o.Duration == 0 {
		o.Duration = time.Minute
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Seed == 0 {
		o.Seed = rand.Uint64()
	}
	switch {
	case o.Level < 1 || o.Level > MaxLevel:
		return o, fmt.Errorf("chaos: --level must be 1–%d, got %d", MaxLevel, o.Level)
	case o.Duration < 5*time.Second:
		return o, fmt.Errorf("chaos: --duration must be at least 5s, got %s", o.Duration)
	case o.Binary == "":
		return o, errors.New("chaos: the service's binary is required")
	}
	return o, nil
}

// rng returns a random source of its own for one goroutine, drawn from the run's seed.
func (r *run) rng() *rand.Rand {
	r.mu.Lock()
	defer r.mu.Unlock()
	return rand.New(rand.NewPCG(r.rngs.Uint64(), r.rngs.Uint64()))
}

func (r *run) execute(ctx context.Context, f features) (rep *Report, err error) {
	// Once interrupted, processes that exit are ending, not crashing.
	stop := context.AfterFunc(ctx, func() { r.ending.Store(true) })
	defer stop()
	if err := r.makeLogDir(); err != nil {
		return nil, err
	}
	if err := r.startDatabase(ctx); err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, r.db.Close(context.WithoutCancel(ctx))) }()
	for _, l := range r.loads {
		if err := l.prepare(ctx, r); err != nil {
			return nil, err
		}
		defer func() { err = errors.Join(err, l.close(context.WithoutCancel(ctx))) }()
	}
	if err := r.startFleet(ctx, f); err != nil {
		return nil, err
	}
	defer func() {
		r.ending.Store(true)
		r.restarts.Wait()
		r.fleet.stopAll(15 * time.Second)
		err = errors.Join(err, r.fleet.close())
	}()
	for _, l := range r.loads {
		if err := l.begin(ctx, r); err != nil {
			return nil, err
		}
	}
	phases, err := r.exercise(ctx)
	if err != nil {
		return nil, err
	}
	return r.report(ctx, phases)
}

func (r *run) makeLogDir() error {
	r.logDir = r.opts.LogDir
	if r.logDir == "" {
		dir, err := os.MkdirTemp("", "chaos-*")
		if err != nil {
			return fmt.Errorf("chaos: %w", err)
		}
		r.logDir = dir
	}
	if err := os.MkdirAll(r.logDir, 0o755); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	return nil
}

// startDatabase starts or reaches the database and brings its schema up to date.
func (r *run) startDatabase(ctx context.Context) error {
	if r.opts.DatabaseURL != "" {
		x, err := startExternal(r.opts.DatabaseURL)
		if err != nil {
			return err
		}
		r.db = x
	} else {
		log, err := os.Create(r.logDir + string(os.PathSeparator) + "postgres.log")
		if err != nil {
			return fmt.Errorf("chaos: %w", err)
		}
		e, err := startEmbedded(ctx, log)
		if err != nil {
			return err
		}
		r.db = e
	}
	m, err := database.NewMigrator()
	if err == nil {
		err = m.Up(ctx, r.db.AdminURL())
	}
	if err != nil {
		return errors.Join(fmt.Errorf("chaos: migrate: %w", err), r.db.Close(context.WithoutCancel(ctx)))
	}
	fmt.Fprintf(r.out, "chaos: database: %s\n", r.db.Describe())
	return nil
}

// startFleet starts the servers and workers and waits until every server is ready.
func (r *run) startFleet(ctx context.Context, f features) error {
	env := append(append([]string{}, r.opts.Env...), "DATABASE_URL="+r.db.URL(), "AUTO_MIGRATE=false")
	for _, l := range r.loads {
		env = append(env, l.env()...)
	}
	fl, err := newFleet(fleetSpec{bin: r.opts.Binary, env: env, serverArgs: f.serverArgs, workerArgs: f.workerArgs,
		servers: r.plan.servers, workers: r.plan.workers, logDir: r.logDir, crashed: r.crashed})
	if err != nil {
		return err
	}
	r.fleet = fl
	if err := fl.startAll(); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "chaos: %d servers and %d workers started (logs in %s)\n", len(fl.servers), len(fl.workers), r.logDir)
	if _, ok := r.awaitReady(ctx, fl.servers, time.Minute); !ok {
		return fmt.Errorf("chaos: the servers did not become ready within a minute; see their logs in %s", r.logDir)
	}
	return nil
}

// crashed records a process that exited without being told to, a broken
// rule, and starts it again so the run goes on: after a pause that grows
// with its crashes, up to 5 s.
func (r *run) crashed(p *proc, err error) {
	if r.ending.Load() {
		return
	}
	r.mu.Lock()
	c := r.crashes[p.name]
	if c.count == 0 {
		c.first = fmt.Sprintf("%v, %s after the start", err, time.Since(r.started).Round(time.Second))
	}
	c.count++
	r.crashes[p.name] = c
	r.mu.Unlock()
	r.restarts.Go(func() {
		time.Sleep(min(time.Duration(c.count)*500*time.Millisecond, 5*time.Second))
		if !r.ending.Load() {
			_ = p.start()
		}
	})
}

// exercise runs the load: the baseline, the faults, then the drain.
func (r *run) exercise(ctx context.Context) (Phases, error) {
	r.client.reset()
	r.began = time.Now()
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var loads sync.WaitGroup
	for _, l := range r.loads {
		loads.Go(func() { l.drive(loadCtx, r) })
	}
	stopProgress := r.showProgress(ctx)
	defer stopProgress()
	r.phase.Store("baseline")
	if !sleep(ctx, r.plan.baseline) {
		return Phases{}, ctx.Err()
	}
	faultsAt := time.Now()
	if r.plan.faulty > 0 {
		r.phase.Store("faults")
		if err := r.inject(ctx, r.plan.faulty); err != nil {
			return Phases{}, err
		}
	}
	stopLoad()
	loads.Wait()
	r.phase.Store("drain")
	drainAt := time.Now()
	if err := r.drain(ctx); err != nil {
		return Phases{}, err
	}
	ph := Phases{Baseline: seconds(faultsAt.Sub(r.began)), Drain: seconds(time.Since(drainAt))}
	if r.plan.faulty > 0 {
		ph.Faults = seconds(drainAt.Sub(faultsAt))
	}
	return ph, nil
}

// inject runs the level's schedule of faults over span, each in its own
// goroutine; a fault whose kind is still being injected is skipped. It
// returns once every fault is undone.
func (r *run) inject(ctx context.Context, span time.Duration) error {
	injectors := map[string]injector{faultDatabase: r.restartDatabase, faultServer: r.killServer, faultRestart: r.restartGracefully}
	for _, l := range r.loads {
		for k, inj := range l.faults(r) {
			injectors[k] = inj
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	busy := map[string]bool{}
	var errs []error
	for _, ev := range schedule(r.plan.level, span, r.rng()) {
		if !sleep(ctx, time.Until(start.Add(ev.at))) {
			break
		}
		inj := injectors[ev.kind]
		mu.Lock()
		skip := inj == nil || busy[ev.kind]
		busy[ev.kind] = busy[ev.kind] || !skip
		mu.Unlock()
		if skip {
			continue
		}
		wg.Go(func() {
			from := time.Now()
			err := inj(context.WithoutCancel(ctx), ev.hold)
			r.mu.Lock()
			r.faults[ev.kind]++
			r.windows[ev.kind] = append(r.windows[ev.kind], window{from, time.Now()})
			r.mu.Unlock()
			mu.Lock()
			busy[ev.kind] = false
			if err != nil {
				errs = append(errs, fmt.Errorf("chaos: %s: %w", ev.kind, err))
			}
			mu.Unlock()
		})
	}
	sleep(ctx, time.Until(start.Add(span)))
	wg.Wait()
	return errors.Join(errs...)
}

// restartDatabase takes the database away for hold, brings it back, and
// measures how long every server takes to answer readiness with 200 again.
func (r *run) restartDatabase(ctx context.Context, hold time.Duration) error {
	r.dbFault.Store(true)
	defer r.dbFault.Store(false)
	down := time.Now()
	r.dbDown.Store(true)
	err := r.db.Down(ctx)
	if err == nil {
		sleep(ctx, hold)
	}
	err = errors.Join(err, r.db.Up(ctx))
	up := time.Now()
	r.dbDown.Store(false)
	if err != nil {
		return err
	}
	rec, ok := r.awaitReady(ctx, r.aliveServers(), 30*time.Second)
	r.mu.Lock()
	r.outages = append(r.outages, outage{down: down, up: up, recovery: rec, ready: ok})
	r.mu.Unlock()
	return nil
}

// killServer kills a server with SIGKILL, starts it again after hold and
// waits until it is ready. It waits for a database restart to end first, so
// that the restart's readiness is measured on the same servers.
func (r *run) killServer(ctx context.Context, hold time.Duration) error {
	for r.dbFault.Load() {
		sleep(ctx, 100*time.Millisecond)
	}
	alive := r.aliveServers()
	if len(alive) == 0 {
		return nil
	}
	p := alive[r.rng().IntN(len(alive))]
	p.kill()
	sleep(ctx, hold)
	if err := p.start(); err != nil {
		return err
	}
	r.awaitReady(ctx, []*proc{p}, 30*time.Second)
	return nil
}

// restartGracefully stops a process as a deploy does (an interrupt, and
// the time it needs to finish: its requests, its running tasks), starts it
// again after hold and, for a server, waits until it is ready.
func (r *run) restartGracefully(ctx context.Context, hold time.Duration) error {
	var alive []*proc
	for _, p := range r.fleet.all() {
		if p.alive() {
			alive = append(alive, p)
		}
	}
	if len(alive) == 0 {
		return nil
	}
	p := alive[r.rng().IntN(len(alive))]
	p.stop(30 * time.Second)
	sleep(ctx, hold)
	if err := p.start(); err != nil {
		return err
	}
	if p.port != 0 {
		r.awaitReady(ctx, []*proc{p}, 30*time.Second)
	}
	return nil
}

func (r *run) aliveServers() []*proc {
	var out []*proc
	for _, p := range r.fleet.servers {
		if p.alive() {
			out = append(out, p)
		}
	}
	return out
}

// server picks the next running server, round robin (any server when none runs).
func (r *run) server() *proc {
	alive := r.aliveServers()
	if len(alive) == 0 {
		alive = r.fleet.servers
	}
	return alive[int(r.client.next.Add(1))%len(alive)]
}

func (p *proc) url(path string) string { return fmt.Sprintf("http://127.0.0.1:%d%s", p.port, path) }

// awaitReady polls readiness on each server every 50 ms until it answers
// 200, and returns the longest wait; ok is false when a server did not
// within limit.
func (r *run) awaitReady(ctx context.Context, servers []*proc, limit time.Duration) (time.Duration, bool) {
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Bool
	for _, p := range servers {
		wg.Go(func() {
			for time.Since(start) < limit && ctx.Err() == nil {
				reqCtx, cancel := context.WithTimeout(ctx, time.Second)
				a, err := r.client.do(reqCtx, "GET", p.url("/api/v1/health/ready"), "", nil)
				cancel()
				if err == nil && a.status == 200 {
					return
				}
				sleep(ctx, 50*time.Millisecond)
			}
			failed.Store(true)
		})
	}
	wg.Wait()
	return time.Since(start), !failed.Load()
}

// drain brings every process back (a fault may have left one dead), then
// waits for the workloads to settle, for at most two minutes.
func (r *run) drain(ctx context.Context) error {
	r.restarts.Wait()
	if err := r.fleet.startAll(); err != nil {
		return err
	}
	r.awaitReady(ctx, r.fleet.servers, 30*time.Second)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for _, l := range r.loads {
		if err := l.settle(ctx, r); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}
	return nil
}

// report gathers the workloads' accounts and applies the rules.
func (r *run) report(ctx context.Context, phases Phases) (*Report, error) {
	rep := &Report{Level: r.plan.level, Seed: r.seed, Database: r.db.Describe(), Seconds: phases,
		HTTP: r.client.counts(), Faults: map[string]int{}, Broken: []string{}, Notes: []string{}}
	for _, l := range r.loads {
		if err := l.account(ctx, r, rep); err != nil {
			return nil, err
		}
	}
	r.mu.Lock()
	for k, n := range r.faults {
		rep.Faults[k] = n
	}
	outages := append([]outage{}, r.outages...)
	for _, name := range slices.Sorted(maps.Keys(r.crashes)) {
		c := r.crashes[name]
		rep.broke("%s exited by itself %d time(s), first: %s; see %s.log", name, c.count, c.first, name)
	}
	r.mu.Unlock()
	rep.judge(r.client.badAnswers(), outages)
	if rep.Passed && r.opts.LogDir == "" {
		_ = os.RemoveAll(r.logDir)
	} else {
		rep.Logs = r.logDir
	}
	rep.WriteTable(r.out)
	return rep, nil
}

// faultWindows returns when faults of kind lasted.
func (r *run) faultWindows(kind string) []window {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]window{}, r.windows[kind]...)
}

// showProgress prints a progress line every 3 s until the returned func is called.
func (r *run) showProgress(ctx context.Context) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(3 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fmt.Fprintln(r.out, r.progressLine(ctx))
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (r *run) progressLine(ctx context.Context) string {
	elapsed := time.Since(r.began).Truncate(time.Second)
	line := fmt.Sprintf("chaos: level %d  %s  %s/%s", r.plan.level, r.phase.Load(), clock(elapsed), clock(r.opts.Duration))
	for _, l := range r.loads {
		if s := l.progress(ctx); s != "" {
			line += "  " + s
		}
	}
	r.mu.Lock()
	n := 0
	for _, c := range r.faults {
		n += c
	}
	r.mu.Unlock()
	h := r.client.counts()
	return line + fmt.Sprintf("  faults %d  http %d (5xx %d)", n, h.Requests, h.Errors5xx)
}

// seconds is d in seconds, to the millisecond.
func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

func clock(d time.Duration) string {
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}
