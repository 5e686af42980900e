package chaos

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestJudge(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for _, tc := range []struct {
		name    string
		rep     Report
		bad     []badAnswer
		outages []outage
		broken  []string
	}{
		{name: "clean", outages: []outage{{recovery: 1200 * time.Millisecond, ready: true}}},
		{name: "lost and twice", rep: Report{Tasks: TaskCounts{Lost: 2, RanTwice: 1}},
			broken: []string{"2 task(s) lost", "1 task(s) ran twice"}},
		{name: "named by the workload", rep: Report{Tasks: TaskCounts{Lost: 1}, Broken: []string{"lost: task x"}},
			broken: []string{"lost: task x"}},
		{name: "500 while down", bad: []badAnswer{
			{At: now, Method: "POST", Path: "/api/v1/tasks", Status: 500, DBDown: true, Body: "{}"},
			{At: now, Method: "POST", Path: "/api/v1/tasks", Status: 500, DBDown: true, Body: "{}"},
			{At: now, Method: "GET", Path: "/api/v1/tasks/0b8e4c7a-1f0e-4b7e-9c55-6a2f1d3e4b5c", Status: 502, Body: "x"},
		}, broken: []string{
			"1 × 502 on GET /api/v1/tasks/{id} while the database was up (first: x)",
			"2 × 500 on POST /api/v1/tasks while the database was down (first: {})",
		}},
		{name: "readiness late", outages: []outage{{recovery: 6 * time.Second, ready: true}},
			broken: []string{"database return #1: readiness back after 6.0s, over the 5s limit"}},
		{name: "readiness never", outages: []outage{{recovery: 30 * time.Second}},
			broken: []string{"database return #1: readiness not back on every server within 30s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := tc.rep
			rep.judge(tc.bad, tc.outages)
			if !slices.Equal(rep.Broken, tc.broken) {
				t.Errorf("broken = %q, want %q", rep.Broken, tc.broken)
			}
			if rep.Passed != (len(tc.broken) == 0) {
				t.Errorf("passed = %v with %d broken rules", rep.Passed, len(rep.Broken))
			}
		})
	}
}

func TestRecoverySecondsIsTheLongest(t *testing.T) {
	t.Parallel()
	var rep Report
	rep.judge(nil, nil)
	if rep.RecoverySeconds != nil {
		t.Errorf("recovery_seconds = %v without an outage, want null", *rep.RecoverySeconds)
	}
	rep.judge(nil, []outage{{recovery: time.Second, ready: true}, {recovery: 3 * time.Second, ready: true}})
	if rep.RecoverySeconds == nil || *rep.RecoverySeconds != 3 {
		t.Errorf("recovery_seconds = %v, want 3", rep.RecoverySeconds)
	}
}

// The JSON holds the summary's keys where the command's users look for them.
func TestReportJSON(t *testing.T) {
	t.Parallel()
	rec := 1.5
	data, err := json.Marshal(Report{Level: 3, RecoverySeconds: &rec, DeadlineMisses: 2, Passed: true,
		Tasks: TaskCounts{Created: 10, Completed: 8, Failed: 2}, HTTP: HTTPCounts{Requests: 20, Errors5xx: 3}})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]any{
		"level": 3.0, "recovery_seconds": 1.5, "deadline_misses": 2.0, "passed": true,
		"tasks.created": 10.0, "tasks.completed": 8.0, "tasks.failed": 2.0, "tasks.lost": 0.0, "tasks.ran_twice": 0.0,
		"http.requests": 20.0, "http.5xx": 3.0,
	} {
		v := any(got)
		for _, k := range strings.Split(path, ".") {
			v = v.(map[string]any)[k]
		}
		if v != want {
			t.Errorf("%s = %v, want %v", path, v, want)
		}
	}
}

func TestPercentiles(t *testing.T) {
	t.Parallel()
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*10*time.Millisecond)
	}
	if got, want := percentiles(ds), (Percentiles{P50: 0.51, P95: 0.96, Max: 1}); got != want {
		t.Errorf("percentiles = %+v, want %+v", got, want)
	}
	if got := percentiles(nil); got != (Percentiles{}) {
		t.Errorf("percentiles(nil) = %+v", got)
	}
}
