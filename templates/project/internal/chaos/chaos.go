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
	"math/rand/v2"
	"time"
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
	r.rngs = rand.New(rand.NewPCG(r.seed, r.seed^0x9e3779b97f4a7c15)) //nolint:gosec // G404: seeded, so that a run can be replayed
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
		o.Seed = rand.Uint64() //nolint:gosec // G404: a seed to replay a run, not a secret
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
