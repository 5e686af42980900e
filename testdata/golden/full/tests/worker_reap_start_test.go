package tests

import (
	"context"
	"testing"
	"time"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/tasks"
)

// A worker that starts reaps nothing in its first round. The database may
// be just back from an outage that cut off the workers already running
// (a worker restarts once it can register its types, the others wait for
// their next round): they get a round to renew the leases that ran out
// meanwhile, as after an outage a worker saw itself, before their tasks,
// maybe finished with the outcome waiting, are taken back and run again.
// The reports of the new worker, logged by a test trigger, tell its rounds
// apart: the task must be reaped after the second.
func TestAStartingWorkerReapsNothingInItsFirstRound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupWorker(t)
	b.app.RegisterTaskTypes("cut_off")
	task := b.app.InsertTask(tasks.NewTask{TaskType: "cut_off"})
	(&taskAPI{app: b.app}).setStatus(t, task.ID, tasks.StatusRunning)
	if _, err := b.app.DB.Exec(ctx, `UPDATE tasks SET lease_expires_at = now() - interval '1 second' WHERE id = $1`,
		task.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.app.DB.Exec(ctx, `CREATE TABLE test_reports (at timestamptz NOT NULL);
		CREATE FUNCTION test_report() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN INSERT INTO test_reports VALUES (now()); RETURN NULL; END $$;
		CREATE TRIGGER test_report AFTER INSERT OR UPDATE ON task_workers FOR EACH ROW EXECUTE FUNCTION test_report();`); err != nil {
		t.Fatal(err)
	}
	s := apptest.WorkerSettings()
	s.Lease = time.Second
	b.app.StartWorker(registry("other", b.rec.handler(nil)), s)
	reaped := b.app.WaitTask(task.ID, "reaped", func(cur *tasks.Task) bool { return cur.Status != tasks.StatusRunning })
	var before int
	if err := b.app.DB.QueryRow(ctx, `SELECT count(*) FROM test_reports WHERE at < $1`, reaped.UpdatedAt).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if before < 2 {
		t.Fatalf("the task was reaped after %d report(s) of the new worker: in its first round", before)
	}
}
