package chaos

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// ReadinessLimit is how soon after the database's return every server must
// answer readiness with 200.
const ReadinessLimit = 5 * time.Second

// Report is what a run found. Its JSON form is what `chaos --json` writes;
// the fields after Passed go beyond the summary, for whoever digs further.
type Report struct {
	Level int        `json:"level"`
	Tasks TaskCounts `json:"tasks"`
	HTTP  HTTPCounts `json:"http"`
	// RecoverySeconds is the longest time from the database's return to
	// readiness 200 on every server; null when the database never went away.
	RecoverySeconds *float64 `json:"recovery_seconds"`
	// DeadlineMisses counts delay tasks that failed on their deadline.
	DeadlineMisses int `json:"deadline_misses"`
	// Passed is false when any rule is broken (Broken says which).
	Passed bool `json:"passed"`

	Seed     uint64 `json:"seed"`
	Database string `json:"database"`
	// Seconds are the lengths of the run's phases.
	Seconds Phases `json:"seconds"`
	// Faults counts the faults injected, by kind.
	Faults map[string]int `json:"faults"`
	// Recoveries lists the time to readiness after each return of the database.
	Recoveries []float64  `json:"recoveries_seconds"`
	Throughput Throughput `json:"throughput"`
	// Broken names every broken rule; Notes what is worth reading but breaks none.
	Broken []string `json:"broken"`
	Notes  []string `json:"notes"`
	// Logs is the directory of the processes' logs, kept when a rule broke.
	Logs string `json:"logs,omitempty"`

	// withTasks is true when the service has tasks: the table shows them.
	withTasks bool
}

// TaskCounts is the exact account of the run's tasks.
type TaskCounts struct {
	// Created counts the tasks in the database, including those created by
	// a request whose answer never came.
	Created   int `json:"created"`
	Completed int `json:"completed"`
	Failed    int `json:"failed"`
	// Lost counts tasks answered 201 but missing, and tasks not in a final
	// state after the drain.
	Lost int `json:"lost"`
	// RanTwice counts tasks completed more than once, run again after they
	// completed, or run by two workers at once.
	RanTwice int `json:"ran_twice"`
	// Unanswered counts tasks created by a request that got no answer (or
	// an error answer): a client would have had to look them up.
	Unanswered int `json:"created_unanswered"`
	// Redelivered counts webhook tasks delivered again after the worker that
	// delivered them was killed before it could record it: the at-least-once
	// delivery that the Idempotency-Key header lets a receiver see through.
	Redelivered int `json:"redelivered"`
	// Deferred counts attempts given back by a breaker (or a shutdown).
	Deferred int `json:"deferred"`
}

// HTTPCounts counts every request the run made and every answer.
type HTTPCounts struct {
	Requests  int `json:"requests"`
	Errors5xx int `json:"5xx"`
	// Other5xx counts 5xx answers other than 503: each breaks a rule.
	Other5xx int `json:"5xx_not_503"`
	// NoAnswer counts requests that got no HTTP answer (a server killed, a timeout).
	NoAnswer int            `json:"no_answer"`
	Status   map[string]int `json:"by_status"`
}

// Phases are the seconds of each phase of a run.
type Phases struct {
	Baseline float64 `json:"baseline"`
	Faults   float64 `json:"faults"`
	Drain    float64 `json:"drain"`
}

// Throughput is tasks completed per second with and without faults, and
// how long the steady load's tasks (a flood's aside) took from creation to
// completion, by when they completed.
type Throughput struct {
	Baseline        float64     `json:"baseline_per_second"`
	Faults          float64     `json:"faults_per_second"`
	BaselineLatency Percentiles `json:"baseline_latency_seconds"`
	FaultsLatency   Percentiles `json:"faults_latency_seconds"`
}

// Percentiles summarise durations, in seconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	Max float64 `json:"max"`
}

// percentiles of ds (nearest rank); zero for none.
func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	s := slices.Sorted(slices.Values(ds))
	at := func(q float64) float64 { return seconds(s[min(len(s)-1, int(q*float64(len(s))))]) }
	return Percentiles{P50: at(0.50), P95: at(0.95), Max: seconds(s[len(s)-1])}
}

// broke records a broken rule.
func (r *Report) broke(format string, args ...any) {
	r.Broken = append(r.Broken, fmt.Sprintf(format, args...))
}

// judge applies the rules every run shares: nothing lost, nothing run twice,
// no 5xx but 503, readiness back within ReadinessLimit of the database.
// Workloads name their own broken rules beforehand; judge adds the rest.
func (r *Report) judge(bad []badAnswer, outages []outage) {
	if r.Tasks.Lost > 0 && !r.mentions("lost") {
		r.broke("%d task(s) lost", r.Tasks.Lost)
	}
	if r.Tasks.RanTwice > 0 && !r.mentions("twice") {
		r.broke("%d task(s) ran twice", r.Tasks.RanTwice)
	}
	for _, g := range groupBad(bad) {
		r.broke("%s", g)
	}
	for i, o := range outages {
		switch {
		case !o.ready:
			r.broke("database return #%d: readiness not back on every server within %s", i+1, o.recovery.Round(time.Millisecond))
		case o.recovery > ReadinessLimit:
			r.broke("database return #%d: readiness back after %.1fs, over the %s limit", i+1, o.recovery.Seconds(), ReadinessLimit)
		}
		if o.ready || o.recovery > 0 {
			s := o.recovery.Seconds()
			r.Recoveries = append(r.Recoveries, s)
			if r.RecoverySeconds == nil || s > *r.RecoverySeconds {
				r.RecoverySeconds = &s
			}
		}
	}
	r.Passed = len(r.Broken) == 0
}

func (r *Report) mentions(word string) bool {
	return slices.ContainsFunc(r.Broken, func(s string) bool { return strings.Contains(s, word) })
}

// groupBad sums the 5xx answers other than 503 by request and status, each
// with its first body: the detail is in the servers' logs.
func groupBad(bad []badAnswer) []string {
	type key struct {
		route  string
		status int
		down   bool
	}
	count := map[key]int{}
	first := map[key]badAnswer{}
	for _, b := range bad {
		k := key{b.Method + " " + routeOf(b.Path), b.Status, b.DBDown}
		if count[k] == 0 {
			first[k] = b
		}
		count[k]++
	}
	keys := slices.SortedFunc(maps.Keys(count), func(a, b key) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	var out []string
	for _, k := range keys {
		when := "while the database was up"
		if k.down {
			when = "while the database was down"
		}
		out = append(out, fmt.Sprintf("%d × %d on %s %s (first: %s)", count[k], k.status, k.route, when, strings.TrimSpace(first[k].Body)))
	}
	return out
}

// routeOf replaces the ids in a path by {id}, so answers group by route.
func routeOf(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if len(p) == 36 && strings.Count(p, "-") == 4 {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

// WriteTable prints the report for people.
func (r *Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	row("level", "%d (seed %d)", r.Level, r.Seed)
	row("database", "%s", r.Database)
	row("phases", "baseline %.0fs, faults %.0fs, drain %.1fs", r.Seconds.Baseline, r.Seconds.Faults, r.Seconds.Drain)
	row("faults", "%s", faultList(r.Faults))
	if r.withTasks {
		t := r.Tasks
		row("tasks created", "%d (%d of them by a request that got no answer or an error)", t.Created, t.Unanswered)
		row("  completed", "%d", t.Completed)
		row("  failed", "%d (deadline misses %d)", t.Failed, r.DeadlineMisses)
		row("  lost", "%d", t.Lost)
		row("  ran twice", "%d", t.RanTwice)
		row("  redelivered", "%d (webhooks sent again after their worker was killed; same Idempotency-Key)", t.Redelivered)
		row("  deferred", "%d attempts given back (breaker open, or shutdown)", t.Deferred)
	}
	h := r.HTTP
	row("http requests", "%d (5xx %d, of which not 503: %d; no answer %d)", h.Requests, h.Errors5xx, h.Other5xx, h.NoAnswer)
	row("readiness", "%s", recoveryList(r.Recoveries))
	if r.withTasks {
		row("throughput", "%s", throughputText(r.Throughput))
		row("latency", "%s", latencyText(r.Throughput))
	}
	result := "PASSED"
	if !r.Passed {
		result = "FAILED"
	}
	row("result", "%s", result)
	_ = tw.Flush()
	for _, b := range r.Broken {
		fmt.Fprintf(w, "  broken: %s\n", b)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	if r.Logs != "" {
		fmt.Fprintf(w, "  logs: %s\n", r.Logs)
	}
}

func faultList(faults map[string]int) string {
	if len(faults) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(faults)) {
		parts = append(parts, fmt.Sprintf("%s × %d", k, faults[k]))
	}
	return strings.Join(parts, ", ")
}

func recoveryList(rs []float64) string {
	if len(rs) == 0 {
		return "the database never went away"
	}
	parts := make([]string, len(rs))
	for i, s := range rs {
		parts[i] = fmt.Sprintf("%.2fs", s)
	}
	return fmt.Sprintf("200 on every server %s after the database's returns (limit %s)", strings.Join(parts, ", "), ReadinessLimit)
}

func latencyText(t Throughput) string {
	text := func(p Percentiles) string { return fmt.Sprintf("p50 %.2fs, p95 %.2fs, max %.2fs", p.P50, p.P95, p.Max) }
	switch {
	case t.BaselineLatency == Percentiles{}:
		return "no tasks"
	case t.FaultsLatency == Percentiles{}:
		return "created → completed " + text(t.BaselineLatency)
	}
	return "created → completed in the baseline " + text(t.BaselineLatency) + "; under faults " + text(t.FaultsLatency)
}

func throughputText(t Throughput) string {
	if t.Faults == 0 && t.Baseline == 0 {
		return "no tasks"
	}
	if t.Faults == 0 {
		return fmt.Sprintf("%.1f tasks/s completed", t.Baseline)
	}
	ratio := 0.0
	if t.Baseline > 0 {
		ratio = 100 * t.Faults / t.Baseline
	}
	return fmt.Sprintf("%.1f tasks/s completed in the baseline, %.1f/s under faults (%.0f%%)", t.Baseline, t.Faults, ratio)
}
