package tests

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/starter-go/starter/templates/project/internal/apptest"
	"github.com/starter-go/starter/templates/project/internal/tasks"
)

// holdSQL makes every write of a waiting task whose metadata says "hold"
// wait, inside its statement, for the advisory lock holdKey: a test holds
// that lock to stop a creation or a retry after it has read its type and
// before it commits.
const (
	holdKey = 4242
	holdSQL = `
CREATE FUNCTION test_hold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock_shared(4242);
	RETURN NEW;
END $$;
CREATE TRIGGER test_hold BEFORE INSERT OR UPDATE ON tasks FOR EACH ROW
	WHEN (NEW.metadata @> '{"hold": true}' AND NEW.status = 'pending') EXECUTE FUNCTION test_hold();`
)

// A task created, or retried by hand, while its type is being resumed is
// claimable once the resume is done. The write read the type still paused
// and marked its task so; the resume, done before the write committed,
// unmarked only the tasks it could see: the task stayed out of every claim
// for good, its type running. (The write is held between its reading of the
// type and its commit; the resume runs in that gap.)
func TestResumeDuringAWriteLeavesNoTaskPaused(t *testing.T) {
	t.Parallel()
	hold := json.RawMessage(`{"hold": true}`)
	failed := func(t *testing.T, app *apptest.TestApp) uuid.UUID {
		task := app.InsertTask(tasks.NewTask{TaskType: "resumed", Metadata: hold})
		(&taskAPI{app: app}).setStatus(t, task.ID, tasks.StatusFailed)
		return task.ID
	}
	cases := []struct {
		name string
		// setup prepares the task to retry, if any.
		setup func(t *testing.T, app *apptest.TestApp) uuid.UUID
		// write creates or retries the task and returns its id.
		write func(ctx context.Context, s *tasks.Store, user uuid.UUID, id uuid.UUID) (uuid.UUID, error)
	}{
		{"created", nil, func(ctx context.Context, s *tasks.Store, _, _ uuid.UUID) (uuid.UUID, error) {
			task, err := s.Create(ctx, tasks.NewTask{TaskType: "resumed", Payload: json.RawMessage(`{}`), Metadata: hold, MaxAttempts: 3})
			return idOf(task), err
		}},
		{"created through the API's rules", nil, func(ctx context.Context, s *tasks.Store, user, _ uuid.UUID) (uuid.UUID, error) {
			task, err := s.CreateWithin(ctx, tasks.NewTask{TaskType: "resumed", Payload: json.RawMessage(`{}`), Metadata: hold,
				MaxAttempts: 3, CreatedBy: &user}, tasks.Quota{PerMinute: 10, Waiting: 10})
			return idOf(task), err
		}},
		{"retried", failed, func(ctx context.Context, s *tasks.Store, _, id uuid.UUID) (uuid.UUID, error) {
			task, err := s.Retry(ctx, id, nil)
			return idOf(task), err
		}},
		{"retried with its group", failed, func(ctx context.Context, s *tasks.Store, _, id uuid.UUID) (uuid.UUID, error) {
			_, err := s.RetryGroup(ctx, "resumed", "")
			return id, err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			app := setupWorker(t).app
			app.RegisterTaskTypes("resumed")
			store := tasks.NewStore(app.DB)
			user := app.CreateUser(apptest.UserOptions{})
			var id uuid.UUID
			if tc.setup != nil {
				id = tc.setup(t, app)
			}
			if _, err := store.SetPaused(ctx, "resumed", true); err != nil {
				t.Fatal(err)
			}
			lock := holdWrites(t, app)
			written := make(chan error, 1)
			go func() {
				var err error
				id, err = tc.write(ctx, store, user.ID, id)
				written <- err
			}()
			waitLocks(t, app, `wait_event = 'advisory'`, nil)
			resumed := make(chan error, 1)
			go func() {
				_, err := store.SetPaused(ctx, "resumed", false)
				resumed <- err
			}()
			// The resume either ends or waits for the write.
			waitLocks(t, app, `wait_event <> 'advisory'`, resumed)
			if _, err := lock.Exec(ctx, `SELECT pg_advisory_unlock($1)`, holdKey); err != nil {
				t.Fatal(err)
			}
			for _, ch := range []chan error{written, resumed} {
				if err := <-ch; err != nil {
					t.Fatal(err)
				}
			}
			var paused bool
			if err := app.DB.QueryRow(ctx, `SELECT paused FROM tasks WHERE id = $1`, id).Scan(&paused); err != nil {
				t.Fatal(err)
			}
			if paused {
				t.Fatalf("task %s is still marked paused after its type was resumed: no claim takes it", id)
			}
		})
	}
}

func idOf(t *tasks.Task) uuid.UUID {
	if t == nil {
		return uuid.Nil
	}
	return t.ID
}

// holdWrites installs holdSQL and takes its lock on a session of its own,
// which it returns.
func holdWrites(t *testing.T, app *apptest.TestApp) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	if _, err := app.DB.Exec(ctx, holdSQL); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, app.DirectDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, holdKey); err != nil {
		t.Fatal(err)
	}
	return conn
}

// waitLocks waits until a session of the test's database waits for a lock
// whose wait_event matches cond, or until done (if any) has something to say.
func waitLocks(t *testing.T, app *apptest.TestApp, cond string, done chan error) {
	t.Helper()
	var err error
	ended := false
	ok := apptest.Eventually(30*time.Second, func() bool {
		select {
		case err = <-done:
			ended = true
			return true
		default:
		}
		var n int
		if qerr := app.DB.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND `+cond).Scan(&n); qerr != nil {
			t.Fatal(qerr)
		}
		return n > 0
	})
	if !ok {
		t.Fatalf("no session waited for a lock (%s)", cond)
	}
	if ended {
		done <- err // for the caller, who reads it again
	}
}
