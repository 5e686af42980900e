// Command queue measures the task queue of the generated service against
// River on one PostgreSQL, with the same concurrency, in one run:
//
//   - drain: N no-op tasks wait in the queue; the worker starts and the clock
//     runs until the database shows all of them completed (tasks/second);
//   - steady: producers insert single tasks at a fixed rate while the worker
//     runs; enqueue-to-start latency is the database's own account of it
//     (tasks.started_at − created_at; river_job.attempted_at − created_at),
//     reported as p50, p99 and max, with the throughput reached.
//
// Our worker is the real `worker` command of the template (built from
// ../templates/project/cmd/app, configured through its environment) running
// delay_task with delay_seconds 0, the closest built-in to a no-op. River runs
// in-process with a no-op worker. PostgreSQL is an embedded throw-away
// cluster (runtime/pgembed) unless -dsn or TEST_DATABASE_URL names a server.
//
//	cd bench && go run ./queue -n 50000 -concurrency 100 -rate 2000 -duration 5s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/starter-go/starter/runtime/pgembed"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "queue bench:", err)
		os.Exit(1)
	}
}

type options struct {
	n             int
	concurrency   int
	rate          int
	producers     int
	duration      time.Duration
	dsn           string
	repo          string
	riverCooldown time.Duration
	riverPoll     time.Duration
	only          string
	procs         int
	phases        string
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("queue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.n, "n", 50000, "tasks in the backlog of the drain phase")
	fs.IntVar(&o.concurrency, "concurrency", 100, "tasks run at once (ours: --concurrency; River: MaxWorkers)")
	fs.IntVar(&o.rate, "rate", 2000, "tasks inserted per second in the steady phase")
	fs.IntVar(&o.producers, "producers", 4, "goroutines inserting in the steady phase")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of the steady phase")
	fs.StringVar(&o.dsn, "dsn", getenv("TEST_DATABASE_URL"), "admin URL of a PostgreSQL to use (default: an embedded one)")
	fs.StringVar(&o.repo, "repo", "..", "root of the starter repository (holds templates/project)")
	fs.DurationVar(&o.riverCooldown, "river-fetch-cooldown", 0, "River FetchCooldown (0: River's default, 100ms)")
	fs.DurationVar(&o.riverPoll, "river-fetch-poll", 0, "River FetchPollInterval (0: River's default, 1s)")
	fs.StringVar(&o.only, "only", "", `run one system only: "ours" or "river"`)
	fs.IntVar(&o.procs, "procs", 1, "worker processes (ours), River clients with a pool each (River), each running -concurrency tasks")
	fs.StringVar(&o.phases, "phases", "drain,steady", `phases to run: "drain", "steady" or both`)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.n < 1 || o.concurrency < 1 || o.rate < 1 || o.producers < 1 || o.duration <= 0 || o.procs < 1 {
		return o, errors.New("-n, -concurrency, -rate, -producers, -duration and -procs must be positive")
	}
	for p := range strings.SplitSeq(o.phases, ",") {
		if p != "drain" && p != "steady" {
			return o, fmt.Errorf("-phases: unknown phase %q", p)
		}
	}
	return o, nil
}

// system is one queue under test.
type system interface {
	name() string
	// prepare migrates a fresh database.
	prepare(ctx context.Context, dsn string, pool *pgxpool.Pool) error
	// backlog inserts n tasks that are not yet due.
	backlog(ctx context.Context, pool *pgxpool.Pool, n int) error
	// start runs the worker; for the drain phase it then makes the backlog due.
	start(ctx context.Context, dsn string, pool *pgxpool.Pool) error
	release(ctx context.Context, pool *pgxpool.Pool) error
	insert(ctx context.Context, pool *pgxpool.Pool) error
	completed(ctx context.Context, pool *pgxpool.Pool) (int64, error)
	// busy reports whether any task is still waiting or running, cheaply
	// (through the queue's own indexes), so that polling it does not load
	// the server the way counting every row would.
	busy(ctx context.Context, pool *pgxpool.Pool) (bool, error)
	latencies(ctx context.Context, pool *pgxpool.Pool) ([]time.Duration, error)
	// stop ends the worker and returns the CPU time its side used since
	// start (ours: the worker processes; River: this process, harness
	// included).
	stop(ctx context.Context) (time.Duration, error)
}

type result struct {
	system     string
	drainRate  float64
	drainTime  time.Duration
	drainCPU   cpuUse
	steadyRate float64
	p50, p99   time.Duration
	max        time.Duration
	samples    int
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	admin, stopDB, err := database(ctx, o.dsn)
	if err != nil {
		return err
	}
	defer stopDB()
	bin, removeApp, err := buildApp(ctx, o.repo, stderr)
	if err != nil {
		return err
	}
	defer removeApp()
	systems := []system{&ours{bin: bin, concurrency: o.concurrency, procs: o.procs, log: stderr},
		&riverSystem{concurrency: o.concurrency, clients: o.procs, cooldown: o.riverCooldown, poll: o.riverPoll}}
	var results []result
	for _, s := range systems {
		if o.only != "" && o.only != s.name() {
			continue
		}
		r := result{system: s.name()}
		if strings.Contains(o.phases, "drain") {
			fmt.Fprintf(stderr, "%s: drain of %d tasks…\n", s.name(), o.n)
			if r.drainTime, r.drainCPU, err = drain(ctx, admin, s, o); err != nil {
				return fmt.Errorf("%s drain: %w", s.name(), err)
			}
			r.drainRate = float64(o.n) / r.drainTime.Seconds()
		}
		if strings.Contains(o.phases, "steady") {
			fmt.Fprintf(stderr, "%s: steady %d/s for %s…\n", s.name(), o.rate, o.duration)
			if err := steady(ctx, admin, s, o, &r); err != nil {
				return fmt.Errorf("%s steady: %w", s.name(), err)
			}
		}
		results = append(results, r)
	}
	report(stdout, o, results)
	return nil
}

func report(w io.Writer, o options, results []result) {
	fmt.Fprintf(w, "%d × concurrency %d; drain: %d tasks; steady: %d tasks/s for %s from %d producers\n",
		o.procs, o.concurrency, o.n, o.rate, o.duration, o.producers)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "system\tdrain tasks/s\tdrain time\tsteady tasks/s\tstart p50\tstart p99\tstart max\tsamples\t"+
		"drain server CPU/1k\tdrain client CPU/1k\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%.0f\t%s\t%s\t%s\t%d\t%s\t%s\t\n", r.system, r.drainRate, r.drainTime.Round(time.Millisecond),
			r.steadyRate, r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.max.Round(10*time.Microsecond), r.samples,
			perThousand(r.drainCPU.server, o.n), perThousand(r.drainCPU.client, o.n))
	}
	tw.Flush()
}

// cpuUse is the CPU time a phase cost each side.
type cpuUse struct{ server, client time.Duration }

func perThousand(d time.Duration, n int) string {
	return (d * 1000 / time.Duration(n)).Round(10 * time.Microsecond).String()
}

// database returns the admin URL of the server to use, starting an embedded
// one unless dsn is set.
func database(ctx context.Context, dsn string) (string, func(), error) {
	if dsn != "" {
		return dsn, func() {}, nil
	}
	srv, err := pgembed.Start(ctx, pgembed.Options{MaxConnections: 400})
	if err != nil {
		return "", nil, err
	}
	return srv.DSN("postgres"), func() { _ = srv.Stop(context.Background()) }, nil
}

var dbSeq int

// freshDatabase creates an empty database and returns its URL and a pool.
func freshDatabase(ctx context.Context, admin, prefix string) (string, *pgxpool.Pool, func(), error) {
	dbSeq++
	name := fmt.Sprintf("bench_%s_%d_%d", prefix, os.Getpid(), dbSeq)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, nil, err
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, nil, err
	}
	u.Path = "/" + name
	dsn := u.String()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return "", nil, nil, err
	}
	cfg.MaxConns = 16
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return "", nil, nil, err
	}
	drop := func() {
		pool.Close()
		c, err := pgx.Connect(context.Background(), admin)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	}
	return dsn, pool, drop, nil
}

// drain times the worker through a backlog of o.n due tasks, and reports
// the CPU time it cost the server and the worker's side.
func drain(ctx context.Context, admin string, s system, o options) (time.Duration, cpuUse, error) {
	var use cpuUse
	dsn, pool, drop, err := freshDatabase(ctx, admin, s.name())
	if err != nil {
		return 0, use, err
	}
	defer drop()
	if err := s.prepare(ctx, dsn, pool); err != nil {
		return 0, use, err
	}
	if err := s.backlog(ctx, pool, o.n); err != nil {
		return 0, use, err
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return 0, use, err
	}
	pid := postmasterPID(ctx, pool)
	if err := s.start(ctx, dsn, pool); err != nil {
		return 0, use, err
	}
	stopped := false
	defer func() {
		if !stopped {
			_, _ = s.stop(context.WithoutCancel(ctx))
		}
	}()
	server0, _ := serverCPU(pid)
	t0 := time.Now()
	if err := s.release(ctx, pool); err != nil {
		return 0, use, err
	}
	if err := waitCompleted(ctx, s, pool, int64(o.n), 10*time.Millisecond); err != nil {
		return 0, use, err
	}
	took := time.Since(t0)
	server1, _ := serverCPU(pid)
	use.server = server1 - server0
	stopped = true
	use.client, err = s.stop(context.WithoutCancel(ctx))
	return took, use, err
}

// steady inserts at o.rate for o.duration while the worker runs.
func steady(ctx context.Context, admin string, s system, o options, r *result) error {
	dsn, pool, drop, err := freshDatabase(ctx, admin, s.name())
	if err != nil {
		return err
	}
	defer drop()
	if err := s.prepare(ctx, dsn, pool); err != nil {
		return err
	}
	if err := s.start(ctx, dsn, pool); err != nil {
		return err
	}
	defer func() { _, _ = s.stop(context.WithoutCancel(ctx)) }()
	t0 := time.Now()
	inserted, err := produce(ctx, pool, s, o)
	if err != nil {
		return err
	}
	if err := waitCompleted(ctx, s, pool, inserted, 10*time.Millisecond); err != nil {
		return err
	}
	r.steadyRate = float64(inserted) / time.Since(t0).Seconds()
	lat, err := s.latencies(ctx, pool)
	if err != nil {
		return err
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		return errors.New("no latencies recorded")
	}
	r.samples = len(lat)
	r.p50, r.p99, r.max = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	return nil
}

// produce runs o.producers goroutines inserting one task at a time on a
// shared schedule of o.rate per second, and returns how many were inserted.
func produce(ctx context.Context, pool *pgxpool.Pool, s system, o options) (int64, error) {
	total := int64(o.rate) * int64(o.duration) / int64(time.Second)
	interval := time.Duration(int64(time.Second) * int64(o.producers) / int64(o.rate))
	errs := make(chan error, o.producers)
	start := time.Now()
	for p := range o.producers {
		go func() {
			var err error
			for i := int64(p); i < total && err == nil; i += int64(o.producers) {
				due := start.Add(time.Duration(i/int64(o.producers)) * interval)
				time.Sleep(time.Until(due))
				err = s.insert(ctx, pool)
			}
			errs <- err
		}()
	}
	var err error
	for range o.producers {
		err = errors.Join(err, <-errs)
	}
	return total, err
}

// waitCompleted polls until nothing is left to run, then checks that n
// tasks completed.
func waitCompleted(ctx context.Context, s system, pool *pgxpool.Pool, n int64, every time.Duration) error {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		busy, err := s.busy(ctx, pool)
		if err != nil {
			return err
		}
		if !busy {
			break
		}
		if time.Now().After(deadline) {
			return errors.New("tasks still running after 10 minutes")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
	done, err := s.completed(ctx, pool)
	if err != nil {
		return err
	}
	if done != n {
		return fmt.Errorf("%d of %d tasks completed", done, n)
	}
	return nil
}

// buildApp builds the template's binary once, into a directory of its own
// that remove deletes (each binary is ~50 MB; a run of row 4 makes several).
func buildApp(ctx context.Context, repo string, stderr io.Writer) (bin string, remove func(), err error) {
	dir, err := os.MkdirTemp("", "queue-bench-app-")
	if err != nil {
		return "", nil, err
	}
	remove = func() { _ = os.RemoveAll(dir) }
	bin = filepath.Join(dir, "app")
	fmt.Fprintln(stderr, "building the template's binary…")
	if err := command(ctx, repo, nil, stderr, "go", "build", "-o", bin, "./templates/project/cmd/app"); err != nil {
		remove()
		return "", nil, fmt.Errorf("build the template (is -repo %s the starter repository?): %w", repo, err)
	}
	return bin, remove, nil
}
