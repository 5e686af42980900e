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
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"example.com/demo/internal/database"
)

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

// rng returns a random source of its own for one goroutine, drawn from the run's seed.
func (r *run) rng() *rand.Rand {
	r.mu.Lock()
	defer r.mu.Unlock()
	return rand.New(rand.NewPCG(r.rngs.Uint64(), r.rngs.Uint64())) //nolint:gosec // G404: drawn from the run's seed, for replay
}

func (r *run) execute(ctx context.Context, f features) (rep *Report, err error) {
	// Once interrupted, processes that exit are ending, not crashing.
	stop := context.AfterFunc(ctx, func() { r.ending.Store(true) })
	defer stop()
	if err := r.makeLogDir(); err != nil {
		return nil, err
	}
	// Last of all, once every process and file is closed: a run that passed
	// leaves no logs behind (unless asked to keep them where it was told).
	defer func() {
		if rep != nil && rep.Passed && r.opts.LogDir == "" {
			_ = os.RemoveAll(r.logDir)
		}
	}()
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
		e, err := startEmbedded(ctx, filepath.Join(r.logDir, "postgres.log"))
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
	if ctx.Err() != nil {
		return Phases{}, ctx.Err()
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
	if !rep.Passed || r.opts.LogDir != "" {
		rep.Logs = r.logDir
	}
	rep.WriteTable(r.out)
	return rep, nil
}

// seconds is d in seconds, to the millisecond.
func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }
