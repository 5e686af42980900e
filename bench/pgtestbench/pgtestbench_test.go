package pgtestbench

import (
	"context"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for pgtestdb
	"github.com/peterldowns/pgtestdb"
	"github.com/starter-go/starter/runtime/pgembed"
	"github.com/starter-go/starter/runtime/pgtest"
	"github.com/starter-go/starter/templates/project/migrations"
)

//go:embed extra.sql
var extraSQL string

// server is the one embedded PostgreSQL every approach uses, started by TestMain.
var server *pgembed.Server

func TestMain(m *testing.M) {
	ctx := context.Background()
	var err error
	server, err = pgembed.Start(ctx, pgembed.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// pgtest finds the server through the variable, as under `NAME test-db run`.
	os.Setenv("TEST_DATABASE_URL", server.DSN("postgres"))
	var code int
	if os.Getenv("PGTESTBENCH_NO_MAIN") != "" {
		code = m.Run() // without pgtest.Main: no clones prepared ahead
	} else {
		code = pgtest.Main(m)
	}
	if err := server.Stop(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// schema is the generated service's migrations (core, auth, tasks) followed by extra.sql: ten
// tables with their indexes, triggers and functions.
func schema(b *testing.B) []string {
	names, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil {
		b.Fatal(err)
	}
	slices.Sort(names)
	var stmts []string
	for _, name := range names {
		body, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			b.Fatal(err)
		}
		stmts = append(stmts, string(body))
	}
	return append(stmts, extraSQL)
}

func hashOf(stmts []string) string {
	sum := sha256.Sum256([]byte(strings.Join(stmts, "\n")))
	return hex.EncodeToString(sum[:])
}

func migrate(ctx context.Context, dsn string, stmts []string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// pgtestMigrator and pgtestdbMigrator run the same statements.
type pgtestMigrator struct{ stmts []string }

func (m pgtestMigrator) Hash() string { return hashOf(m.stmts) }
func (m pgtestMigrator) Migrate(ctx context.Context, dsn string) error {
	return migrate(ctx, dsn, m.stmts)
}

type pgtestdbMigrator struct{ stmts []string }

func (m pgtestdbMigrator) Hash() (string, error) { return hashOf(m.stmts), nil }
func (m pgtestdbMigrator) Migrate(ctx context.Context, db *sql.DB, _ pgtestdb.Config) error {
	for _, s := range m.stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// iterTB is one iteration's test: Cleanup functions are collected and run after the timed region,
// as the end of a test would; logs are dropped (pgtestdb logs every database).
type iterTB struct {
	*testing.B
	cleanups []func()
}

func (t *iterTB) Cleanup(fn func())   { t.cleanups = append(t.cleanups, fn) }
func (t *iterTB) Failed() bool        { return false }
func (t *iterTB) Logf(string, ...any) {}
func (t *iterTB) Log(...any)          {}
func (t *iterTB) Helper()             {}
func (t *iterTB) finish() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// ping opens a new connection to dsn and runs SELECT 1: the database is usable.
func ping(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "SELECT 1")
	return err
}

// getDatabase makes a database for one iteration and returns its DSN.
type getDatabase func(ctx context.Context, t *iterTB) (string, error)

func BenchmarkTimeToDatabase(b *testing.B) {
	stmts := schema(b)
	approaches := []struct {
		name string
		get  getDatabase
	}{
		{"pgtest", func(_ context.Context, t *iterTB) (string, error) {
			return pgtest.NewDatabase(t, pgtestMigrator{stmts}), nil
		}},
		{"migrate-per-test", func(ctx context.Context, t *iterTB) (string, error) {
			return migratePerTest(ctx, t, stmts)
		}},
		{"pgtestdb", func(_ context.Context, t *iterTB) (string, error) {
			db := pgtestdb.New(t, pgtestdbConfig(), pgtestdbMigrator{stmts})
			// The DSN is not exposed; ping the handle pgtestdb opened instead.
			_, err := db.Exec("SELECT 1")
			return "", err
		}},
	}
	for _, ap := range approaches {
		b.Run(ap.name, func(b *testing.B) { measure(b, ap.get) })
	}
}

// measure times each iteration and reports p50 and p95. One untimed iteration first builds the
// template (pgtest, pgtestdb): the figures are what every test after the first waits.
func measure(b *testing.B, get getDatabase) {
	ctx := context.Background()
	once := func() time.Duration {
		t := &iterTB{B: b}
		start := time.Now()
		dsn, err := get(ctx, t)
		if err == nil && dsn != "" {
			err = ping(ctx, dsn)
		}
		elapsed := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		t.finish()
		b.StartTimer()
		return elapsed
	}
	b.StopTimer()
	once()
	b.StartTimer()
	var times []time.Duration
	for b.Loop() {
		times = append(times, once())
	}
	slices.Sort(times)
	b.ReportMetric(ms(percentile(times, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(times, 95)), "p95-ms")
}

func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// migratePerTest is the approach without a harness: an empty database (plain CREATE DATABASE)
// migrated for each test, dropped at its end.
func migratePerTest(ctx context.Context, t *iterTB, stmts []string) (string, error) {
	admin, err := pgx.Connect(ctx, server.DSN("postgres"))
	if err != nil {
		return "", err
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("perTest_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, server.DSN("postgres"))
		if err == nil {
			_, err = conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			conn.Close(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	dsn := server.DSN(name)
	return dsn, migrate(ctx, dsn, stmts)
}

func pgtestdbConfig() pgtestdb.Config {
	return pgtestdb.Config{
		DriverName:                "pgx",
		Host:                      "127.0.0.1",
		Port:                      strconv.Itoa(server.Port),
		User:                      pgembed.User,
		Password:                  server.Password(),
		Database:                  "postgres",
		Options:                   "sslmode=disable",
		ForceTerminateConnections: true,
	}
}
