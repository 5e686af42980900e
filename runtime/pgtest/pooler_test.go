package pgtest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/starter-go/starter/runtime/pgembed"
)

// Behind a PgBouncer, a test database is dropped without terminating the
// backends the pooler still holds: each terminated one sends PgBouncer an
// error it may exit on (1.18–1.20), so none may be sent.
func TestDropBehindAPoolerTerminatesNoBackend(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := pgembed.Start(ctx, pgembed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	var log lockedBuffer
	b, err := pgembed.StartBouncer(ctx, srv.DSN("postgres"), pgembed.BouncerOptions{Log: &log})
	if errors.Is(err, pgembed.ErrNoBouncer) && os.Getenv("CI") == "" {
		t.Skip(err) // optional for a project; CI installs it
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Stop(context.Background()) })
	a, err := openAdmin(ctx, srv.DSN("postgres"), "pgtest_pooler_")
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	a.pooler = b.DSN("postgres")

	for _, name := range []string{"pgtest_pooler_a", "pgtest_pooler_b"} {
		conn, err := pgx.Connect(ctx, srv.DSN("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = conn.Exec(ctx, "CREATE DATABASE "+name)
		conn.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// A query through the pooler leaves it an idle server connection to the database.
		cfg, err := pgx.ParseConfig(b.DSN(name))
		if err != nil {
			t.Fatal(err)
		}
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
		client, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := client.QueryRow(ctx, "SELECT 1").Scan(new(int)); err != nil {
			t.Fatal(err)
		}
		client.Close(ctx)

		if err := a.drop(ctx, name); err != nil {
			t.Fatalf("drop %s: %v", name, err)
		}
		// PgBouncer handles its sockets in one loop: once it answers, it has read what the
		// server sent before the drop returned.
		if err := a.askPooler(ctx, "SHOW VERSION"); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(log.String(), "from server when not linked") {
			t.Fatalf("dropping %s terminated a backend the pooler held:\n%s", name, log.String())
		}
		if exited, out := b.Exited(); exited {
			t.Fatalf("PgBouncer exited:\n%s", out)
		}
	}
}

// lockedBuffer is a bytes.Buffer written by PgBouncer's log reader and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
