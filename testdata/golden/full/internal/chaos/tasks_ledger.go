package chaos

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// installLedgerSQL makes PostgreSQL itself keep the ledger of the run's
// tasks: a trigger on tasks appends a row to chaos.task_events for every
// task created and every change of its status or attempt (a claim, an
// outcome, a reaped lease, a deferral). Whatever the service's code gets
// wrong, the database saw what it wrote. The trigger fires only for the
// run's tasks (metadata has chaos_run), so other tasks of a shared database
// cost one test each.
const installLedgerSQL = `
CREATE SCHEMA IF NOT EXISTS chaos;
CREATE TABLE IF NOT EXISTS chaos.task_events (
	seq         bigserial   PRIMARY KEY,
	run         text        NOT NULL,
	task_id     uuid        NOT NULL,
	at          timestamptz NOT NULL DEFAULT clock_timestamp(),
	old_status  text,
	new_status  text        NOT NULL,
	old_attempt int,
	new_attempt int         NOT NULL,
	locked_by   text,
	last_error  text
);
CREATE OR REPLACE FUNCTION chaos.record_task_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO chaos.task_events (run, task_id, new_status, new_attempt, locked_by)
		VALUES (NEW.metadata->>'chaos_run', NEW.id, NEW.status, NEW.current_attempt, NEW.locked_by);
	ELSIF NEW.status IS DISTINCT FROM OLD.status OR NEW.current_attempt IS DISTINCT FROM OLD.current_attempt THEN
		INSERT INTO chaos.task_events (run, task_id, old_status, new_status, old_attempt, new_attempt, locked_by, last_error)
		VALUES (NEW.metadata->>'chaos_run', NEW.id, OLD.status, NEW.status, OLD.current_attempt, NEW.current_attempt,
			coalesce(NEW.locked_by, OLD.locked_by), left(NEW.last_error, 300));
	END IF;
	RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS chaos_task_events ON tasks;
CREATE TRIGGER chaos_task_events AFTER INSERT OR UPDATE ON tasks FOR EACH ROW
	WHEN (NEW.metadata ? 'chaos_run') EXECUTE FUNCTION chaos.record_task_event();
`

// removeLedgerSQL takes the ledger out of a database the run does not own.
const removeLedgerSQL = `
DROP TRIGGER IF EXISTS chaos_task_events ON tasks;
DROP SCHEMA IF EXISTS chaos CASCADE;
`

// taskRow is a task of the run as the database has it after the drain.
type taskRow struct {
	id, key, taskType, status, expect, lastError string
	attempt, maxAttempts                         int
	// kind is steady or flood; wantSum and gotSum are a data_processing
	// sum known in advance and the one in its result ("" for none).
	kind, wantSum, gotSum string
}

// taskEvent is one row of the ledger.
type taskEvent struct {
	task                   string
	at                     time.Time
	from, to               string
	fromAttempt, toAttempt int
	lockedBy, lastError    string
}

// createAck is what one POST /tasks got back: status 0 when no answer came,
// id set when it was 201.
type createAck struct {
	key    string
	id     string
	status int
}

func readTasks(ctx context.Context, pool *pgxpool.Pool, run string) ([]taskRow, error) {
	rows, err := pool.Query(ctx, `SELECT id::text, coalesce(metadata->>'chaos_key', ''), task_type, status,
			coalesce(metadata->>'chaos_expect', ''), coalesce(last_error, ''), current_attempt, max_attempts,
			coalesce(metadata->>'chaos_kind', ''), coalesce(metadata->>'chaos_sum', ''), coalesce(result->>'sum', '')
		FROM tasks WHERE metadata->>'chaos_run' = $1`, run)
	if err != nil {
		return nil, fmt.Errorf("chaos: read tasks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (taskRow, error) {
		var t taskRow
		err := row.Scan(&t.id, &t.key, &t.taskType, &t.status, &t.expect, &t.lastError, &t.attempt, &t.maxAttempts,
			&t.kind, &t.wantSum, &t.gotSum)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("chaos: read tasks: %w", err)
	}
	return out, nil
}

func readEvents(ctx context.Context, pool *pgxpool.Pool, run string) ([]taskEvent, error) {
	rows, err := pool.Query(ctx, `SELECT task_id::text, at, coalesce(old_status, ''), new_status,
			coalesce(old_attempt, 0), new_attempt, coalesce(locked_by, ''), coalesce(last_error, '')
		FROM chaos.task_events WHERE run = $1 ORDER BY seq`, run)
	if err != nil {
		return nil, fmt.Errorf("chaos: read the ledger: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (taskEvent, error) {
		var e taskEvent
		err := row.Scan(&e.task, &e.at, &e.from, &e.to, &e.fromAttempt, &e.toAttempt, &e.lockedBy, &e.lastError)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("chaos: read the ledger: %w", err)
	}
	return out, nil
}

// ledgerInput is every record of a run's tasks, from three witnesses that
// do not depend on each other: the API's answers, the database's ledger
// (and final rows), and the webhook target's deliveries.
type ledgerInput struct {
	tasks      []taskRow
	events     []taskEvent
	acks       []createAck
	deliveries []delivery
	// worker names the process of a locked_by value.
	worker func(lockedBy string) string
}

// ledgerResult is the account of a run's tasks. lost, twice, beyondMax and
// wrong name each task that breaks a rule.
type ledgerResult struct {
	counts         TaskCounts
	deadlineMisses int
	// missedBy counts the deadline misses by the kind of load (steady, flood).
	missedBy    map[string]int
	lost        []string
	twice       []string
	beyondMax   []string
	wrong       []string
	redelivered []string
	// errorAnswered names tasks created by a request answered with an error.
	errorAnswered []string
	// unexpected counts tasks meant to complete that failed (deadlines
	// aside), by the start of their last error.
	unexpected map[string]int
}

// analyze settles the account: every task answered 201 is in the database,
// every task in the database is final, none completed twice or ran again
// after completing, none was delivered twice at once or again without its
// earlier attempt having been taken back, none meant to fail every attempt
// completed (an attempt beyond max_attempts), and every sum is right.
func analyze(in ledgerInput) ledgerResult {
	res := ledgerResult{unexpected: map[string]int{}, missedBy: map[string]int{}}
	byID := map[string]taskRow{}
	byKey := map[string]taskRow{}
	for _, t := range in.tasks {
		byID[t.id], byKey[t.key] = t, t
	}
	res.counts.Created = len(in.tasks)
	answered := map[string]bool{}
	status := map[string]int{}
	for _, a := range in.acks {
		status[a.key] = a.status
		if a.status == 201 {
			answered[a.key] = true
			if _, ok := byID[a.id]; !ok {
				res.lost = append(res.lost, fmt.Sprintf("task %s (%s): answered 201, not in the database", a.id, a.key))
			}
		}
	}
	events := map[string][]taskEvent{}
	for _, e := range in.events {
		events[e.task] = append(events[e.task], e)
		if e.from == "running" && e.toAttempt == e.fromAttempt-1 {
			res.counts.Deferred++
		}
	}
	twice := map[string]string{}
	for _, t := range sortedTasks(in.tasks) {
		if !answered[t.key] {
			res.counts.Unanswered++
			if s := status[t.key]; s != 0 {
				res.errorAnswered = append(res.errorAnswered, fmt.Sprintf("task %s (%s) was created, though its request was answered %d", t.id, t.taskType, s))
			}
		}
		res.tally(t, in.worker, events[t.id])
		if why := ranAgain(events[t.id], in.worker); why != "" {
			twice[t.id] = fmt.Sprintf("task %s (%s) %s", t.id, t.taskType, why)
		}
	}
	res.webhooks(in.deliveries, events, in.worker, twice)
	for _, id := range slices.Sorted(maps.Keys(twice)) {
		res.twice = append(res.twice, twice[id])
	}
	res.counts.Lost = len(res.lost)
	res.counts.RanTwice = len(res.twice)
	res.counts.Redelivered = len(res.redelivered)
	return res
}

// tally counts one task by its final state and names it when it breaks a rule.
func (res *ledgerResult) tally(t taskRow, worker func(string) string, evs []taskEvent) {
	switch t.status {
	case "completed":
		res.counts.Completed++
		if t.wantSum != "" && !sameNumber(t.wantSum, t.gotSum) {
			res.wrong = append(res.wrong, fmt.Sprintf("task %s (%s) completed with sum %s, want %s", t.id, t.taskType, t.gotSum, t.wantSum))
		}
		if t.expect == expectFail {
			res.beyondMax = append(res.beyondMax, fmt.Sprintf("task %s (%s) completed on attempt %d of %d, every one of which was meant to fail",
				t.id, t.taskType, t.attempt, t.maxAttempts))
		}
	case "failed":
		res.counts.Failed++
		if isDeadlineMiss(t.lastError) {
			res.deadlineMisses++
			res.missedBy[t.kind]++
		} else if t.expect == expectComplete {
			res.unexpected[errorKind(t.lastError)]++
		}
	case "cancelled":
	default:
		holder := ""
		if n := len(evs); n > 0 && evs[n-1].lockedBy != "" {
			holder = ", held by " + worker(evs[n-1].lockedBy)
		}
		res.lost = append(res.lost, fmt.Sprintf("task %s (%s): still %s after the drain (attempt %d of %d%s; last error %q)",
			t.id, t.taskType, t.status, t.attempt, t.maxAttempts, holder, t.lastError))
	}
}

// ranAgain says how a task's ledger shows it done twice: completed more than
// once, or changed again after it completed. "" when it does not.
func ranAgain(evs []taskEvent, worker func(string) string) string {
	var by []string
	after := ""
	for _, e := range evs {
		if len(by) > 0 && after == "" {
			after = fmt.Sprintf("went from completed to %s (attempt %d, %s)", e.to, e.toAttempt, worker(e.lockedBy))
		}
		if e.to == "completed" {
			by = append(by, fmt.Sprintf("%s at %s", worker(e.lockedBy), e.at.Format("15:04:05.000")))
		}
	}
	switch {
	case len(by) > 1:
		return fmt.Sprintf("completed %d times (%s)", len(by), strings.Join(by, "; "))
	case after != "":
		return after
	}
	return ""
}

// webhooks checks the target's deliveries. Two of one task at once is a
// task run twice. Two answered 2xx one after the other is a redelivery,
// which at-least-once delivery allows only when the attempt that delivered
// first was taken back (its lease expired: its worker was killed or cut off
// before it could record the outcome); otherwise the task ran twice.
func (res *ledgerResult) webhooks(ds []delivery, events map[string][]taskEvent, worker func(string) string, twice map[string]string) {
	ok := map[string][]delivery{}
	for _, d := range ds {
		if d.overlapped && twice[d.task] == "" {
			twice[d.task] = fmt.Sprintf("task %s (webhook) delivered twice at once (attempt %d while another was in flight)", d.task, d.attempt)
		}
		if d.status == 200 && !d.aborted {
			ok[d.task] = append(ok[d.task], d)
		}
	}
	for _, task := range slices.Sorted(maps.Keys(ok)) {
		d := ok[task]
		if len(d) < 2 || twice[task] != "" {
			continue
		}
		var why []string
		for _, earlier := range d[:len(d)-1] {
			reap, found := takenBack(events[task], earlier.attempt)
			if !found {
				twice[task] = fmt.Sprintf("task %s (webhook) delivered %d times (attempts %s), though attempt %d was not taken back",
					task, len(d), attemptList(d), earlier.attempt)
				break
			}
			why = append(why, fmt.Sprintf("attempt %d's lease expired (%s)", earlier.attempt, worker(reap.lockedBy)))
		}
		if twice[task] == "" {
			res.redelivered = append(res.redelivered, fmt.Sprintf("task %s delivered %d times (attempts %s) after %s",
				task, len(d), attemptList(d), strings.Join(why, ", ")))
		}
	}
}

// takenBack finds where the ledger shows attempt taken back from its worker
// by the reaper, with the attempt spent.
func takenBack(evs []taskEvent, attempt int) (taskEvent, bool) {
	for _, e := range evs {
		if e.from == "running" && e.fromAttempt == attempt && e.toAttempt == attempt && strings.HasPrefix(e.lastError, "lease expired") {
			return e, true
		}
	}
	return taskEvent{}, false
}

// sameNumber compares two numbers written as text.
func sameNumber(a, b string) bool {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	return errA == nil && errB == nil && x == y
}

func attemptList(ds []delivery) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = strconv.Itoa(d.attempt)
	}
	return strings.Join(parts, ", ")
}

func isDeadlineMiss(lastError string) bool {
	for _, s := range []string{"missed deadline", "insufficient time", "completed past deadline"} {
		if strings.Contains(lastError, s) {
			return true
		}
	}
	return false
}

// errorKind is the start of an error, without the ids and numbers that make
// each one different, so that failures group by cause.
func errorKind(msg string) string {
	msg, _, _ = strings.Cut(msg, ":")
	fields := strings.Fields(msg)
	for i, f := range fields {
		if strings.ContainsAny(f, "0123456789") {
			fields[i] = "…"
		}
	}
	return strings.Join(fields, " ")
}

// workerName turns a locked_by value (host-pid-random) into the name of the
// run's process that had that pid.
func workerName(byPID func(int) string) func(string) string {
	return func(lockedBy string) string {
		if lockedBy == "" {
			return "no worker"
		}
		parts := strings.Split(lockedBy, "-")
		if len(parts) >= 3 {
			if pid, err := strconv.Atoi(parts[len(parts)-2]); err == nil {
				if name := byPID(pid); name != "" {
					return name
				}
			}
		}
		return lockedBy
	}
}

func sortedTasks(ts []taskRow) []taskRow {
	return slices.SortedFunc(slices.Values(ts), func(a, b taskRow) int { return cmp.Compare(a.id, b.id) })
}
