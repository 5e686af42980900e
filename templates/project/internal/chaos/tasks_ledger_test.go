package chaos

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/starter-go/starter/runtime/pgtest"
	"github.com/starter-go/starter/templates/project/internal/database"
)

// TestMain stops the embedded PostgreSQL that the ledger's test starts when
// TEST_DATABASE_URL is unset.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func ev(task, from, to string, fromAttempt, toAttempt int, lockedBy, lastError string) taskEvent {
	return taskEvent{task: task, at: time.Now(), from: from, to: to, fromAttempt: fromAttempt, toAttempt: toAttempt,
		lockedBy: lockedBy, lastError: lastError}
}

// life is the ledger of a task that ran once and completed.
func life(task string) []taskEvent {
	return []taskEvent{ev(task, "", "pending", 0, 0, "", ""), ev(task, "pending", "running", 0, 1, "h-42-ab", ""),
		ev(task, "running", "completed", 1, 1, "h-42-ab", "")}
}

func row(id, status string) taskRow {
	return taskRow{id: id, key: "k-" + id, taskType: "webhook", status: status, expect: expectComplete, attempt: 1, maxAttempts: 5, kind: "steady"}
}

func ok201(id string) createAck { return createAck{key: "k-" + id, id: id, status: 201} }

func hook(task string, attempt int, status int, overlapped bool) delivery {
	return delivery{task: task, attempt: attempt, status: status, overlapped: overlapped}
}

func TestAnalyze(t *testing.T) {
	t.Parallel()
	names := workerName(func(pid int) string {
		if pid == 42 {
			return "worker-1"
		}
		return ""
	})
	reaped := append(life("t")[:2:2], ev("t", "running", "retrying", 1, 1, "h-42-ab", "lease expired: worker h-42-ab stopped"),
		ev("t", "retrying", "running", 1, 2, "h-7-cd", ""), ev("t", "running", "completed", 2, 2, "h-7-cd", ""))
	failedOnce := append(life("t")[:2:2], ev("t", "running", "retrying", 1, 1, "h-42-ab", "webhook answered 503"),
		ev("t", "retrying", "running", 1, 2, "h-42-ab", ""), ev("t", "running", "completed", 2, 2, "h-42-ab", ""))
	for _, tc := range []struct {
		name  string
		in    ledgerInput
		check func(t *testing.T, r ledgerResult)
	}{
		{"clean", ledgerInput{tasks: []taskRow{row("t", "completed")}, acks: []createAck{ok201("t")}, events: life("t")},
			func(t *testing.T, r ledgerResult) {
				if r.counts != (TaskCounts{Created: 1, Completed: 1}) || len(r.lost)+len(r.twice)+len(r.wrong)+len(r.beyondMax) > 0 {
					t.Errorf("%+v", r)
				}
			}},
		{"answered 201, not in the database", ledgerInput{acks: []createAck{ok201("t")}},
			func(t *testing.T, r ledgerResult) { wantNamed(t, "lost", r.lost, "answered 201, not in the database") }},
		{"not final after the drain", ledgerInput{tasks: []taskRow{row("t", "running")}, acks: []createAck{ok201("t")}, events: life("t")[:2]},
			func(t *testing.T, r ledgerResult) {
				wantNamed(t, "lost", r.lost, "still running after the drain", "held by worker-1")
			}},
		{"completed twice", ledgerInput{tasks: []taskRow{row("t", "completed")}, acks: []createAck{ok201("t")},
			events: append(life("t"), ev("t", "running", "completed", 1, 1, "h-7-cd", ""))},
			func(t *testing.T, r ledgerResult) { wantNamed(t, "twice", r.twice, "completed 2 times") }},
		{"claimed after it completed", ledgerInput{tasks: []taskRow{row("t", "completed")}, acks: []createAck{ok201("t")},
			events: append(life("t"), ev("t", "completed", "running", 1, 2, "h-7-cd", ""))},
			func(t *testing.T, r ledgerResult) { wantNamed(t, "twice", r.twice, "went from completed to running") }},
		{"delivered twice at once", ledgerInput{tasks: []taskRow{row("t", "completed")}, acks: []createAck{ok201("t")}, events: life("t"),
			deliveries: []delivery{hook("t", 1, 200, false), hook("t", 2, 200, true)}},
			func(t *testing.T, r ledgerResult) { wantNamed(t, "twice", r.twice, "delivered twice at once") }},
		{"delivered again after a reap", ledgerInput{tasks: []taskRow{row("t", "completed")}, acks: []createAck{ok201("t")}, events: reaped,
			deliveries: []delivery{hook("t", 1, 200, false), hook("t", 2, 200, false)}},
			func(t *testing.T, r ledgerResult) {
				wantNamed(t, "redelivered", r.redelivered, "attempt 1's lease expired (worker-1)")
				wantNamed(t, "twice", r.twice)
			}},
		{"delivered again though not taken back", ledgerInput{tasks: []taskRow{row("t", "completed")}, acks: []createAck{ok201("t")},
			events: failedOnce, deliveries: []delivery{hook("t", 1, 200, false), hook("t", 2, 200, false)}},
			func(t *testing.T, r ledgerResult) { wantNamed(t, "twice", r.twice, "attempt 1 was not taken back") }},
		{"a failed and an aborted delivery are no redelivery", ledgerInput{tasks: []taskRow{row("t", "completed")}, acks: []createAck{ok201("t")},
			events: failedOnce, deliveries: []delivery{hook("t", 1, 503, false), {task: "t", attempt: 1, aborted: true}, hook("t", 2, 200, false)}},
			func(t *testing.T, r ledgerResult) {
				wantNamed(t, "twice", r.twice)
				wantNamed(t, "redelivered", r.redelivered)
			}},
		{"meant to fail, completed", ledgerInput{tasks: []taskRow{{id: "t", key: "k-t", taskType: "delay_task", status: "completed",
			expect: expectFail, attempt: 3, maxAttempts: 2}}, acks: []createAck{ok201("t")}},
			func(t *testing.T, r ledgerResult) {
				wantNamed(t, "beyond max", r.beyondMax, "completed on attempt 3 of 2")
			}},
		{"deadlines and other failures", ledgerInput{tasks: []taskRow{
			{id: "a", key: "k-a", status: "failed", expect: expectComplete, lastError: "insufficient time: 1s left before the deadline"},
			{id: "b", key: "k-b", status: "failed", expect: expectComplete, lastError: "lease expired: worker h-42-ab stopped before finishing attempt 3"},
			{id: "c", key: "k-c", status: "failed", expect: expectFail, lastError: "simulated failure on attempt 2"},
		}, acks: []createAck{ok201("a"), ok201("b"), ok201("c")}},
			func(t *testing.T, r ledgerResult) {
				if r.deadlineMisses != 1 || r.counts.Failed != 3 || len(r.unexpected) != 1 || r.unexpected["lease expired"] != 1 {
					t.Errorf("deadline misses %d, failed %d, unexpected %v", r.deadlineMisses, r.counts.Failed, r.unexpected)
				}
			}},
		{"created by a request without an answer", ledgerInput{tasks: []taskRow{row("t", "completed"), row("u", "completed")},
			acks: []createAck{{key: "k-t"}, {key: "k-u", status: 503}}},
			func(t *testing.T, r ledgerResult) {
				if r.counts.Unanswered != 2 || len(r.lost) != 0 {
					t.Errorf("unanswered %d, lost %v", r.counts.Unanswered, r.lost)
				}
				wantNamed(t, "error answered", r.errorAnswered, "task u", "answered 503")
			}},
		{"a wrong sum", ledgerInput{tasks: []taskRow{{id: "t", key: "k-t", taskType: "data_processing", status: "completed",
			expect: expectComplete, wantSum: "10", gotSum: "9"}, {id: "u", key: "k-u", status: "completed", wantSum: "10", gotSum: "10.0"}},
			acks: []createAck{ok201("t"), ok201("u")}},
			func(t *testing.T, r ledgerResult) { wantNamed(t, "wrong", r.wrong, "completed with sum 9, want 10") }},
		{"deferred attempts", ledgerInput{tasks: []taskRow{row("t", "completed")}, acks: []createAck{ok201("t")},
			events: append(life("t")[:2:2], ev("t", "running", "pending", 1, 0, "h-42-ab", ""),
				ev("t", "pending", "running", 0, 1, "h-42-ab", ""), ev("t", "running", "completed", 1, 1, "h-42-ab", ""))},
			func(t *testing.T, r ledgerResult) {
				if r.counts.Deferred != 1 || len(r.twice) != 0 {
					t.Errorf("deferred %d, twice %v", r.counts.Deferred, r.twice)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.worker = names
			tc.check(t, analyze(tc.in))
		})
	}
}

// wantNamed checks that a list names exactly one task, in words holding
// each of parts; with no parts, that it names none.
func wantNamed(t *testing.T, list string, got []string, parts ...string) {
	t.Helper()
	if len(parts) == 0 {
		if len(got) != 0 {
			t.Errorf("%s: want none, got %q", list, got)
		}
		return
	}
	if len(got) != 1 || slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(got[0], p) }) {
		t.Errorf("%s: want one naming %q, got %q", list, parts, got)
	}
}

// The ledger is kept by PostgreSQL: every creation and every change of
// status or attempt of the run's tasks, and nothing of other tasks.
func TestLedgerRecordsTheRunsTasks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, err := database.NewMigrator()
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t, m))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, installLedgerSQL); err != nil {
		t.Fatal(err)
	}
	var ours, theirs string
	mustExec(ctx, t, pool, `INSERT INTO task_types (task_type) VALUES ('email')`)
	if err := pool.QueryRow(ctx, `INSERT INTO tasks (task_type, metadata) VALUES ('email', '{"chaos_run": "r1", "chaos_key": "r1-1", "chaos_kind": "steady"}') RETURNING id`).Scan(&ours); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO tasks (task_type) VALUES ('email') RETURNING id`).Scan(&theirs); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{ours, theirs} {
		mustExec(ctx, t, pool, `UPDATE tasks SET status = 'running', current_attempt = 1, locked_by = 'h-42-ab', lease_expires_at = now() + interval '5 seconds' WHERE id = $1`, id)
		mustExec(ctx, t, pool, `UPDATE tasks SET lease_expires_at = now() + interval '10 seconds' WHERE id = $1`, id)
		mustExec(ctx, t, pool, `UPDATE tasks SET status = 'completed', locked_by = NULL, lease_expires_at = NULL WHERE id = $1`, id)
	}
	events, err := readEvents(ctx, pool, "r1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		if e.task != ours {
			t.Fatalf("the ledger holds a task of no run: %+v", e)
		}
		got = append(got, e.from+">"+e.to+" "+e.lockedBy)
	}
	if want := []string{">pending ", "pending>running h-42-ab", "running>completed h-42-ab"}; !slices.Equal(got, want) {
		t.Errorf("ledger = %q, want %q (a heartbeat is no event)", got, want)
	}
	tasks, err := readTasks(ctx, pool, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 || tasks[0].id != ours || tasks[0].status != "completed" || tasks[0].key != "r1-1" || tasks[0].kind != "steady" {
		t.Errorf("tasks = %+v", tasks)
	}
	if _, err := pool.Exec(ctx, removeLedgerSQL); err != nil {
		t.Fatalf("remove the ledger: %v", err)
	}
}

func mustExec(ctx context.Context, t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
