package database

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/golang-migrate/migrate/v4/database"
	"github.com/jackc/pgx/v5"

	"example.com/demo/internal/platform/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// emptySchema hands out empty databases.
type emptySchema struct{}

func (emptySchema) Hash() string                          { return "empty" }
func (emptySchema) Migrate(context.Context, string) error { return nil }

// While a run holds the migration lock, another run waits for it (on the
// key of golang-migrate's own lock, which a golang-migrate of another
// version takes too), and goes on once it is released.
func TestMigrationLockMakesRunsTakeTurns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t, emptySchema{})
	m, err := NewMigrator()
	if err != nil {
		t.Fatal(err)
	}
	held, err := lockMigrations(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	key, err := database.GenerateAdvisoryLockId(conn.Config().Database, "public", migrationsTable)
	if err != nil {
		t.Fatal(err)
	}
	var free bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1::bigint)`, key).Scan(&free); err != nil || free {
		t.Fatalf("golang-migrate's own lock is free while a run holds the migration lock (err %v)", err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Up(ctx, dsn) }()
	deadline := time.Now().Add(30 * time.Second)
	for waiting := false; !waiting; {
		err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%pg_advisory_xact_lock%')`).Scan(&waiting)
		switch {
		case err != nil:
			t.Fatal(err)
		case time.Now().After(deadline):
			t.Fatal("the second run never waited for the lock")
		}
		select {
		case err := <-done:
			t.Fatalf("a run migrated while another held the lock: %v", err)
		default:
		}
	}
	held.release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st, err := m.Status(ctx, dsn); err != nil || st.Version != m.Latest() {
		t.Fatalf("after the wait: %+v, %v", st, err)
	}
}
