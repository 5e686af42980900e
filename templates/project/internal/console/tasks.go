package console

import (
	"context"
	"html/template"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/starter-go/starter/runtime/breaker"
	"github.com/starter-go/starter/templates/project/internal/tasks"
)

// Tasks is the task queue's section of the console: its overview panel
// (counts, throughput, waits, breakers, workers, paused types) and the
// task pages (routes_tasks.go).
type Tasks struct {
	store *tasks.Store
	alive time.Duration
	cs    *Console
}

// NewTasks returns the section on store; a worker counts as alive while
// it reported itself within alive (its lease: workers report three times
// per lease).
func NewTasks(store *tasks.Store, alive time.Duration) *Tasks {
	return &Tasks{store: store, alive: alive}
}

// Nav is the section's menu entries.
func (t *Tasks) Nav() []NavLink {
	return []NavLink{{Label: "Tasks", Path: "/console/tasks"}, {Label: "Dead letter", Path: "/console/dead-letter"}}
}

// allStatuses are the statuses in the order the pages show them.
func allStatuses() []tasks.Status {
	return []tasks.Status{tasks.StatusPending, tasks.StatusRunning, tasks.StatusRetrying,
		tasks.StatusCompleted, tasks.StatusFailed, tasks.StatusCancelled}
}

type panelView struct {
	Totals     []statusCount
	Total      int64
	Types      []typeRow
	Throughput chart
	Wait       chart
	Workers    []tasks.WorkerInfo
	Paused     []string
	CSRF       string
}

type statusCount struct {
	Status tasks.Status
	N      int64
}

// typeRow is one task type on the overview: its counts by status (in the
// order of statuses), its breaker across the workers alive, and whether
// it is paused.
type typeRow struct {
	Name    string
	Counts  []int64
	Paused  bool
	Breaker string
	Open    int
	Workers int
}

// Panel renders the queue's part of the overview. Nothing here scans the
// tasks table: see tasks.Store.Counts and Minutes.
func (t *Tasks) Panel(c *gin.Context, cs *Console) (template.HTML, error) {
	v, err := t.panel(c.Request.Context())
	if err != nil {
		return "", err
	}
	v.CSRF = c.GetString(csrfKey)
	return cs.part("tasks_panel", v)
}

func (t *Tasks) panel(ctx context.Context) (panelView, error) {
	var v panelView
	if err := t.store.CompactCounts(ctx); err != nil {
		return v, err
	}
	counts, err := t.store.Counts(ctx)
	if err != nil {
		return v, err
	}
	types, err := t.store.Types(ctx)
	if err != nil {
		return v, err
	}
	now := time.Now().UTC().Truncate(time.Minute)
	minutes, err := t.store.Minutes(ctx, now.Add(-59*time.Minute))
	if err != nil {
		return v, err
	}
	workers, err := t.store.Workers(ctx, t.alive)
	if err != nil {
		return v, err
	}
	v.Types, v.Totals, v.Total = typeRows(types, counts, workers)
	for _, tt := range types {
		if tt.Paused {
			v.Paused = append(v.Paused, tt.TaskType)
		}
	}
	v.Throughput, v.Wait = charts(minutes, now)
	v.Workers = workers
	return v, nil
}

// typeRows puts the counts in a row per type (the registered ones, and any
// other that still has tasks) and sums them per status.
func typeRows(types []tasks.TaskType, counts []tasks.Count, workers []tasks.WorkerInfo) ([]typeRow, []statusCount, int64) {
	statuses := allStatuses()
	rows := []typeRow{}
	index := map[string]int{}
	row := func(name string) *typeRow {
		i, ok := index[name]
		if !ok {
			i = len(rows)
			index[name] = i
			rows = append(rows, typeRow{Name: name, Counts: make([]int64, len(statuses)), Breaker: "—"})
		}
		return &rows[i]
	}
	for _, tt := range types {
		row(tt.TaskType).Paused = tt.Paused
	}
	totals := make([]statusCount, len(statuses))
	for i, s := range statuses {
		totals[i].Status = s
	}
	var total int64
	for _, c := range counts {
		for i, s := range statuses {
			if c.Status == s {
				row(c.TaskType).Counts[i] += c.N
				totals[i].N += c.N
			}
		}
		total += c.N
	}
	for i := range rows {
		rows[i].Breaker, rows[i].Open, rows[i].Workers = breakerOf(rows[i].Name, workers)
	}
	return rows, totals, total
}

// breakerOf is a type's breaker across the workers running it: the worst
// state any of them reports, how many report it open, and how many run it.
func breakerOf(name string, workers []tasks.WorkerInfo) (state string, open, running int) {
	state = "—"
	rank := map[string]int{"—": 0, breaker.Closed.String(): 1, breaker.HalfOpen.String(): 2, breaker.Open.String(): 3}
	for _, w := range workers {
		s, ok := w.Breakers[name]
		if !ok {
			continue
		}
		running++
		if s == breaker.Open.String() {
			open++
		}
		if rank[s] > rank[state] {
			state = s
		}
	}
	return state, open, running
}
