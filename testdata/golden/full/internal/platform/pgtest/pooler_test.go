//go:build pgbouncer

// The tests that run a PgBouncer: `go test -tags pgbouncer` (starter's make test, a project's
// make test-pgbouncer), since PgBouncer is optional for a project; without it they fail.

package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/demo/internal/platform/pgembed"
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

// With Pooler, the command gets a PgBouncer in front of the server as TEST_DATABASE_POOLER_URL,
// through which the server's databases answer, and the bouncer is gone afterwards.
func TestRunWithPoolerHandsAPgBouncerOn(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code, err := RunWith(context.Background(), RunOptions{Env: os.Environ(), Stdout: &stdout, Stderr: &stderr, Pooler: true},
		os.Args[0], "-test.run=^TestHelperPooler$")
	if err != nil || code != 5 {
		t.Fatalf("exit %d, err %v; stdout %s; stderr %s", code, err, stdout.String(), stderr.String())
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(stdout.String()), "answered through ")
	if !ok {
		t.Fatalf("the command printed %q", stdout.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, url); err == nil {
		conn.Close(ctx)
		t.Fatal("the PgBouncer still answers after the run")
	}
}

// TestHelperPooler is the command TestRunWithPoolerHandsAPgBouncerOn runs.
func TestHelperPooler(t *testing.T) {
	t.Parallel()
	if !slices.Contains(os.Args, "-test.run=^TestHelperPooler$") {
		return
	}
	url := os.Getenv("TEST_DATABASE_POOLER_URL")
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err == nil {
		err = conn.QueryRow(context.Background(), "SELECT 1").Scan(new(int))
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("answered through %s\n", url)
	os.Exit(5)
}
