package pgtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// sqlMigrator is the sample migrator: a few statements, hashed by their text.
type sqlMigrator struct {
	stmts []string
	runs  *atomic.Int32 // counts Migrate calls when set
	fail  error         // returned by Migrate when set
	leak  bool          // leaves a connection open, as a buggy migrator would
}

func (m sqlMigrator) Hash() string {
	sum := sha256.Sum256([]byte(strings.Join(m.stmts, ";\n")))
	return hex.EncodeToString(sum[:])
}

func (m sqlMigrator) Migrate(ctx context.Context, dsn string) error {
	if m.runs != nil {
		m.runs.Add(1)
	}
	if m.fail != nil {
		return m.fail
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	if !m.leak {
		defer conn.Close(ctx)
	}
	for _, s := range m.stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

var sample = sqlMigrator{stmts: []string{
	"CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE)",
	"CREATE TABLE notes (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users, body text NOT NULL)",
	"CREATE INDEX notes_user_id ON notes (user_id)",
}}

// migratorWith returns the sample plus one statement, a new migration set. The statement is
// unique to the calling test, so no two tests share a set by accident.
func migratorWith(stmt string) sqlMigrator {
	m := sample
	m.stmts = append(append([]string{}, sample.stmts...), stmt)
	return m
}

// fakeTB stands in for a test whose outcome the test controls: Fatal and Skip end the goroutine,
// as on a real testing.T, and Cleanup functions run when finish is called.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	failed   bool
	skipped  bool
	logs     []string
	cleanups []func()
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

func (f *fakeTB) Failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

func (f *fakeTB) log(failed bool, s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = f.failed || failed
	f.logs = append(f.logs, s)
}

func (f *fakeTB) Logf(format string, args ...any)   { f.log(false, fmt.Sprintf(format, args...)) }
func (f *fakeTB) Errorf(format string, args ...any) { f.log(true, fmt.Sprintf(format, args...)) }
func (f *fakeTB) Fatal(args ...any)                 { f.log(true, fmt.Sprint(args...)); runtime.Goexit() }
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.log(true, fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (f *fakeTB) Skip(args ...any) {
	f.mu.Lock()
	f.skipped = true
	f.mu.Unlock()
	f.log(false, fmt.Sprint(args...))
	runtime.Goexit()
}

func (f *fakeTB) fail() { f.log(true, "failed on purpose") }

func (f *fakeTB) output() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.logs, "\n")
}

// finish runs the Cleanup functions, last registered first, as the testing package does.
func (f *fakeTB) finish() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

// newDatabase calls NewDatabase for a fake test on a goroutine of its own, so Fatal can end it.
func newDatabase(f *fakeTB, m Migrator) (dsn string, ok bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		dsn = NewDatabase(f, m)
		ok = true
	}()
	<-done
	return dsn, ok
}

// setup returns the admin of the shared server, failing like NewDatabase does.
func setup(t testing.TB) *admin {
	t.Helper()
	a, err := shared.open()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// isolated returns an admin on the shared server with a project prefix of its own, for tests that
// build and drop templates of several migration sets without disturbing the other tests.
func isolated(t *testing.T) *admin {
	t.Helper()
	a := setup(t)
	ctx := context.Background()
	iso, err := openAdmin(ctx, a.dsn, "pgtest_"+randomHex(4)+"_")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st, err := iso.status(ctx)
		if err == nil {
			for _, d := range append(append(st.Clones, st.Building...), st.Templates...) {
				_ = iso.dropTemplate(ctx, d.Name)
			}
		}
		iso.close()
	})
	return iso
}

func exists(t *testing.T, a *admin, name string) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := a.conns.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.conns.put(conn)
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func dbName(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Database
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return conn
}

func count(t *testing.T, conn *pgx.Conn, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func names(ds []Database) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name)
	}
	return out
}

var errBoom = errors.New("boom")
