package tasks

import (
	"testing"
	"time"
)

// A worker's figures per minute: starts with their waits, final outcomes
// only, the reaper's failures; figures whose write failed go back into the
// next report, unless task_minutes would no longer keep their minute.
func TestMinuteStatsCountWhatTheWorkerDid(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 5, 7, 42, 0, time.UTC)
	minute := at.Truncate(time.Minute)
	task := func(taskType string, wait time.Duration) *Task {
		started := at.Add(-time.Second)
		return &Task{TaskType: taskType, ScheduledAt: started.Add(-wait), StartedAt: &started}
	}
	ms := newMinuteStats()
	ms.started(at, []*Task{task("a", 40*time.Millisecond), task("a", 10*time.Millisecond), task("b", -time.Second)})
	ms.ended(at.Add(time.Minute), []outcome{
		{taskType: "a", kind: outcomeCompleted}, {taskType: "a", kind: outcomeFailed},
		{taskType: "a", kind: outcomeRetrying}, {taskType: "a", kind: outcomeReleased},
	})
	ms.failedByType(at.Add(time.Minute), map[string]int64{"b": 2})

	got := ms.take()
	want := map[minuteKey]minuteDelta{
		{minute, "a"}:                  {started: 2, waitMS: 50, waitMaxMS: 40},
		{minute, "b"}:                  {started: 1}, // scheduled after it started: no wait
		{minute.Add(time.Minute), "a"}: {completed: 1, failed: 1},
		{minute.Add(time.Minute), "b"}: {failed: 2},
	}
	wantRows(t, got, want)
	if len(ms.take()) != 0 {
		t.Fatal("take left figures behind")
	}

	// The write failed: back they go, added to what came since.
	ms.started(at, []*Task{task("a", 60*time.Millisecond)})
	ms.putBack(at.Add(time.Minute), got)
	want[minuteKey{minute, "a"}] = minuteDelta{started: 3, waitMS: 110, waitMaxMS: 60}
	wantRows(t, ms.take(), want)

	ms.putBack(minute.Add(minuteKeep+30*time.Second), got)
	wantRows(t, ms.take(), map[minuteKey]minuteDelta{
		{minute.Add(time.Minute), "a"}: {completed: 1, failed: 1},
		{minute.Add(time.Minute), "b"}: {failed: 2},
	})
}

func wantRows(t *testing.T, got map[minuteKey]*minuteDelta, want map[minuteKey]minuteDelta) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d: %v", len(got), len(want), got)
	}
	for k, w := range want {
		if g := got[k]; g == nil || *g != w {
			t.Errorf("%s %s: got %+v, want %+v", k.minute.Format(time.TimeOnly), k.taskType, g, w)
		}
	}
}
