// Command benchtable runs the benchmarks of starter against their anchors in
// one run and prints one table: each line is a ratio of ours to an anchor
// measured in the same round, with min, median and max over the rounds, and
// the machine it ran on. BENCHMARKS.md is its last output, explained.
//
//	cd bench && go run ./cmd/benchtable              # every row, 3 rounds
//	cd bench && go run ./cmd/benchtable -rows 1,2,6 -rounds 5
//
// Rows:
//
//  1. `starter new` per variant (generator.Generate in-process) vs a plain
//     recursive copy of the template tree: wall time, allocated bytes, time
//     per file;
//  2. per-test database: runtime/pgtest vs peterldowns/pgtestdb vs
//     migrate-per-test, p50 and p95 (the ./pgtestbench benchmark);
//  3. the generated full variant's test suite at -parallel 1, 2, 4 under
//     `NAME test-db run`, binaries built first; the anchor is -parallel 1;
//  4. queue: our worker vs River, drain and steady insert (./queue), then
//     drains at concurrency 50, 200, 1000 and with 4 processes × 50;
//  5. HTTP: /health/live, an authenticated /auth/me and /openapi.json of a generated service
//     vs a bare gin handler, loaded by wrk (or ./httpload) from its own process;
//  6. breaker and retry vs sony/gobreaker v2 and cenkalti/backoff v5
//     (the ./reliability benchmarks);
//  7. the list endpoint of a resource made by `starter generate resource`,
//     50 rows from 100 000, with its migration's indexes vs without them;
//  8. the operator console's overview over 1 000 000 tasks vs counting them
//     by a scan (BenchmarkOverviewMillionTasks of the templates, -tags bench).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	rows          []int
	rounds        int
	repo          string // root of the starter repository
	bench         string // the bench module (working directory of `go test -c`)
	consoleN      int
	work          string // scratch directory, removed at the end
	log           io.Writer
	httpDur       time.Duration
	httpConn      int
	loader        string
	parallel      []int
	suiteRnd      int
	queueN        int
	queueRate     int
	queueDur      time.Duration
	queueConc     int
	queueScaleN   int
	pgIters       int
	riverCooldown time.Duration
	keep          bool
}

// row is one numbered row of the table.
type row struct {
	num  int
	name string
	run  func(ctx context.Context, o *options) ([]measurement, error)
}

var allRows = []row{
	{1, "generation", genRow},
	{2, "per-test database", pgtestRow},
	{3, "generated suite", suiteRow},
	{4, "queue", queueRow},
	{5, "HTTP", httpRow},
	{6, "breaker and retry", reliabilityRow},
	{7, "generated list endpoint", resourceListRow},
	{8, "console", consoleRow},
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{log: stderr}
	fs := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rows := fs.String("rows", "1,2,3,4,5,6,7,8", "rows to run, comma-separated")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds per measurement (min/median/max are over rounds)")
	fs.StringVar(&o.repo, "repo", "..", "root of the starter repository")
	fs.DurationVar(&o.httpDur, "http-duration", 3*time.Second, "row 5: load duration of one round")
	fs.IntVar(&o.httpConn, "http-connections", 32, "row 5: open connections of the load generator")
	fs.StringVar(&o.loader, "loader", "auto", `row 5: "wrk", "go" (./httpload) or "auto" (wrk when on PATH)`)
	par := fs.String("parallel", "1,2,4", "row 3: -parallel values of the generated suite")
	fs.IntVar(&o.suiteRnd, "suite-rounds", 1, "row 3: rounds (the suite takes tens of seconds per run)")
	fs.IntVar(&o.queueN, "queue-n", 10000, "row 4: tasks in the drained backlog")
	fs.IntVar(&o.queueRate, "queue-rate", 1000, "row 4: tasks/s inserted in the steady phase")
	fs.DurationVar(&o.queueDur, "queue-duration", 3*time.Second, "row 4: length of the steady phase")
	fs.IntVar(&o.queueConc, "queue-concurrency", 50, "row 4: tasks run at once by both queues")
	fs.IntVar(&o.queueScaleN, "queue-scale-n", 50000, "row 4: tasks in the backlog drained at each setting of the queue at scale")
	fs.DurationVar(&o.riverCooldown, "queue-river-cooldown", 2*time.Millisecond,
		"row 4: River FetchCooldown of the tuned anchor (ours claims after 2ms)")
	fs.IntVar(&o.pgIters, "pg-iterations", 40, "row 2: databases made per approach and round")
	fs.IntVar(&o.consoleN, "console-n", 20, "row 8: overview requests per round")
	fs.BoolVar(&o.keep, "keep", false, "keep the scratch directory (generated projects, logs)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var err error
	if o.rows, err = ints(*rows); err != nil {
		return nil, fmt.Errorf("-rows: %w", err)
	}
	if o.parallel, err = ints(*par); err != nil {
		return nil, fmt.Errorf("-parallel: %w", err)
	}
	if o.rounds < 1 || o.suiteRnd < 1 || o.httpConn < 1 || o.pgIters < 1 {
		return nil, errors.New("-rounds, -suite-rounds, -http-connections and -pg-iterations must be positive")
	}
	return o, nil
}

func ints(list string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.bench, err = os.Getwd(); err != nil {
		return err
	}
	if o.repo, err = filepath.Abs(o.repo); err != nil {
		return err
	}
	if o.work, err = os.MkdirTemp("", "benchtable-"); err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(stderr, "scratch directory:", o.work)
	} else {
		defer os.RemoveAll(o.work)
	}
	start := time.Now()
	before := loadAvg()
	var all []measurement
	for _, r := range allRows {
		if !slices.Contains(o.rows, r.num) {
			continue
		}
		fmt.Fprintf(stderr, "== row %d: %s\n", r.num, r.name)
		ms, err := r.run(ctx, o)
		if err != nil {
			return fmt.Errorf("row %d (%s): %w", r.num, r.name, err)
		}
		for i := range ms {
			ms[i].row = r.num
		}
		all = append(all, ms...)
	}
	m := describeMachine(ctx)
	m.load = before + " → " + loadAvg()
	m.took = time.Since(start).Round(time.Second)
	printTable(stdout, o, m, all)
	return nil
}
