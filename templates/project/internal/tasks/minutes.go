package tasks

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// minuteStats adds up, per minute and task type, what one worker did: the
// attempts it started (with how long each waited from due to start) and the
// final outcomes it wrote. The worker writes them to task_minutes with its
// reports (every Lease/3) in one statement, the way job servers such as
// Sidekiq flush their processed/failed counters with their heartbeats:
// counting them in the queue's own statements cost every claim and every
// completion an extra write to a table all workers share (migration
// 000011_tasks_counts). An outcome counts only if its write changed its
// task: one the database dropped, its task taken back meanwhile, counts in
// the figures of whoever has the task now. What a worker had not written yet
// when it died is lost from the charts, as are the outcomes of a write whose
// answer was lost and whose retry found them written already; the counts per
// status are exact, kept by triggers.
type minuteStats struct {
	mu sync.Mutex
	m  map[minuteKey]*minuteDelta
}

type minuteKey struct {
	minute   time.Time
	taskType string
}

// minuteDelta is one row of task_minutes.
type minuteDelta struct {
	started   int64
	waitMS    float64
	waitMaxMS float64
	completed int64
	failed    int64
}

// minuteKeep is how long task_minutes keeps a minute (compactSQL): older
// figures are not worth a retry after a failed write.
const minuteKeep = 2 * time.Hour

func newMinuteStats() *minuteStats { return &minuteStats{m: map[minuteKey]*minuteDelta{}} }

// row is the figures of taskType in the minute of at.
func (ms *minuteStats) row(at time.Time, taskType string) *minuteDelta {
	return ms.rowOf(minuteKey{at.UTC().Truncate(time.Minute), taskType})
}

func (ms *minuteStats) rowOf(k minuteKey) *minuteDelta {
	d := ms.m[k]
	if d == nil {
		d = &minuteDelta{}
		ms.m[k] = d
	}
	return d
}

// add adds the figures of r to d.
func (d *minuteDelta) add(r *minuteDelta) {
	d.started += r.started
	d.waitMS += r.waitMS
	d.waitMaxMS = max(d.waitMaxMS, r.waitMaxMS)
	d.completed += r.completed
	d.failed += r.failed
}

// started counts the attempts of tasks just claimed, in the minute of now.
// The wait is the database's own account: started_at − scheduled_at.
func (ms *minuteStats) started(now time.Time, claimed []*Task) {
	if len(claimed) == 0 {
		return
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for _, t := range claimed {
		d := ms.row(now, t.TaskType)
		d.started++
		if t.StartedAt != nil {
			wait := max(float64(t.StartedAt.Sub(t.ScheduledAt).Microseconds())/1000, 0)
			d.waitMS += wait
			d.waitMaxMS = max(d.waitMaxMS, wait)
		}
	}
}

// ended counts the final outcomes of a batch just written.
func (ms *minuteStats) ended(now time.Time, batch []outcome) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for _, o := range batch {
		switch o.kind {
		case outcomeCompleted:
			ms.row(now, o.taskType).completed++
		case outcomeFailed:
			ms.row(now, o.taskType).failed++
		}
	}
}

// failedByType counts tasks that failed outside an attempt (the reaper's
// dead-lettered tasks), n per type.
func (ms *minuteStats) failedByType(now time.Time, n map[string]int64) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for taskType, k := range n {
		ms.row(now, taskType).failed += k
	}
}

// take hands over everything counted so far and starts afresh.
func (ms *minuteStats) take() map[minuteKey]*minuteDelta {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	out := ms.m
	ms.m = map[minuteKey]*minuteDelta{}
	return out
}

// putBack adds figures whose write failed to those counted since, so the
// next report writes them, except the minutes older than task_minutes keeps.
func (ms *minuteStats) putBack(now time.Time, rows map[minuteKey]*minuteDelta) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for k, r := range rows {
		if now.Sub(k.minute) <= minuteKeep {
			ms.rowOf(k).add(r)
		}
	}
}

// addMinutesSQL appends delta rows to task_minutes, which readers sum and
// CompactCounts folds.
const addMinutesSQL = `INSERT INTO task_minutes (minute, task_type, started, wait_ms, wait_max_ms, completed, failed)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::bigint[], $4::float8[], $5::float8[], $6::bigint[], $7::bigint[])`

// addMinutes writes the rows of a minuteStats.take.
func (s *Store) addMinutes(ctx context.Context, rows map[minuteKey]*minuteDelta) error {
	if len(rows) == 0 {
		return nil
	}
	var (
		minutes   = make([]time.Time, 0, len(rows))
		types     = make([]string, 0, len(rows))
		started   = make([]int64, 0, len(rows))
		waits     = make([]float64, 0, len(rows))
		waitMaxes = make([]float64, 0, len(rows))
		completed = make([]int64, 0, len(rows))
		failed    = make([]int64, 0, len(rows))
	)
	for k, r := range rows {
		minutes, types = append(minutes, k.minute), append(types, k.taskType)
		started, waits, waitMaxes = append(started, r.started), append(waits, r.waitMS), append(waitMaxes, r.waitMaxMS)
		completed, failed = append(completed, r.completed), append(failed, r.failed)
	}
	if _, err := s.pool.Exec(ctx, addMinutesSQL, minutes, types, started, waits, waitMaxes, completed, failed); err != nil {
		return fmt.Errorf("add task minutes: %w", err)
	}
	return nil
}

// writeMinutes writes what the worker counted since its last report; what
// the database does not take is kept for the next.
func (w *Worker) writeMinutes(ctx context.Context) {
	rows := w.minutes.take()
	if err := w.store.addMinutes(ctx, rows); err != nil {
		w.minutes.putBack(time.Now(), rows)
		if ctx.Err() == nil {
			w.log.Warn("write task minutes", "err", err)
		}
	}
}
