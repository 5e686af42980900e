package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// admin runs the harness's statements on one server, for one project.
type admin struct {
	dsn      string // admin DSN, as given
	project  string // prefix of every database name of this project
	version  int    // server_version_num
	strategy string // CREATE DATABASE strategy clause, empty before PostgreSQL 15
	pooler   string // TEST_DATABASE_POOLER_URL of a run behind a PgBouncer, else empty (pooler.go)
	conns    *connPool
}

func openAdmin(ctx context.Context, dsn, project string) (*admin, error) {
	a := &admin{dsn: dsn, project: project, conns: newConnPool(dsn, 16)}
	conn, err := a.conns.get(ctx)
	if err != nil {
		return nil, err
	}
	defer a.conns.put(conn)
	var v string
	if err := conn.QueryRow(ctx, "SHOW server_version_num").Scan(&v); err != nil {
		return nil, fmt.Errorf("server version: %w", err)
	}
	a.version, _ = strconv.Atoi(v)
	if a.version >= 150000 {
		// Measured on PostgreSQL 15 with a migrated schema of ten tables on tmpfs, FILE_COPY cloned
		// faster than the default WAL_LOG, which writes every block of the template to the WAL.
		a.strategy = " STRATEGY FILE_COPY"
	}
	return a, nil
}

func (a *admin) close() { a.conns.close() }

// projectPrefix is "pgtest_" and 8 hex digits of the main module's path: test binaries and the
// project's CLI share it, other projects on the same server do not.
func projectPrefix() string {
	module := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path != "" {
		module = bi.Main.Path
	}
	return "pgtest_" + shortHash(module, 4) + "_"
}

func shortHash(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:n])
}

// templateName is the project prefix and 16 hex digits of m's hash; clones append "_" and 8 random
// hex digits.
func (a *admin) templateName(m Migrator) string {
	return a.project + shortHash(m.Hash(), 8)
}

func (a *admin) dsnFor(dbname string) string { return withDatabase(a.dsn, dbname) }

// withDatabase returns dsn (URL or keyword/value form) pointing at database dbname.
func withDatabase(dsn, dbname string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			u.Path, u.RawPath = "/"+dbname, ""
			return u.String()
		}
	}
	return dsn + " dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(dbname) + "'"
}

// redacted returns dsn with its password masked, for logs: test output is often public (CI).
func redacted(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			return u.Redacted()
		}
		return "(a DSN that does not parse)"
	}
	// The value of password= in a keyword/value DSN, quoted or not.
	keywordPassword := regexp.MustCompile(`(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)
	return keywordPassword.ReplaceAllString(dsn, "${1}xxxxx")
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// lockKey is the advisory lock guarding the build of one template.
func lockKey(tpl string) int64 {
	h := fnv.New64a()
	h.Write([]byte("pgtest:" + tpl))
	return int64(h.Sum64())
}

// ensureTemplate builds m's template unless it exists. The build runs under an advisory lock held
// by a connection of its own, which releases the lock even if this process dies mid-build. A new
// template replaces those of the project's other migration sets, except the templates in keep
// (those this process uses).
func (a *admin) ensureTemplate(ctx context.Context, m Migrator, keep ...string) error {
	tpl := a.templateName(m)
	if ready, err := a.isTemplate(ctx, tpl); err != nil || ready {
		return err
	}
	conn, err := pgx.Connect(ctx, a.dsn)
	if err != nil {
		return fmt.Errorf("build template %s: %w", tpl, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey(tpl)); err != nil {
		return fmt.Errorf("build template %s: lock: %w", tpl, err)
	}
	defer unlock(ctx, conn, tpl)
	if ready, err := a.isTemplate(ctx, tpl); err != nil || ready {
		return err
	}
	if err := a.build(ctx, conn, tpl, m); err != nil {
		return fmt.Errorf("build template %s: %w", tpl, err)
	}
	a.dropOtherTemplates(ctx, append(keep, tpl))
	return nil
}

// unlock releases the build lock of tpl held by conn. Closing conn would release it too, but the
// server does so a moment after the client has moved on, and a process asking for the lock in
// that moment would find the template "being built".
func unlock(ctx context.Context, conn *pgx.Conn, tpl string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, _ = conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", lockKey(tpl))
}

func (a *admin) isTemplate(ctx context.Context, name string) (bool, error) {
	conn, err := a.conns.get(ctx)
	if err != nil {
		return false, err
	}
	defer a.conns.put(conn)
	var ready bool
	err = conn.QueryRow(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", name).Scan(&ready)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return ready, err
}

// build creates tpl, migrates it and only then marks it a template. A database of that name that
// is not a template was left by a build that died, and is replaced.
func (a *admin) build(ctx context.Context, conn *pgx.Conn, tpl string, m Migrator) error {
	steps := []string{
		"DROP DATABASE IF EXISTS " + ident(tpl) + a.force(),
		"CREATE DATABASE " + ident(tpl) + " TEMPLATE template0",
	}
	if err := execAll(ctx, conn, steps...); err != nil {
		return err
	}
	if err := m.Migrate(ctx, a.dsnFor(tpl)); err != nil {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(tpl)+a.force())
		return fmt.Errorf("migrate: %w", err)
	}
	// Connections the migrator leaked would make every clone fail.
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", tpl); err != nil {
		return err
	}
	return execAll(ctx, conn, "ALTER DATABASE "+ident(tpl)+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
}

// force is the DROP DATABASE option that terminates connections (PostgreSQL 13 and later).
func (a *admin) force() string {
	if a.version >= 130000 {
		return " WITH (FORCE)"
	}
	return ""
}

func execAll(ctx context.Context, conn *pgx.Conn, sqls ...string) error {
	for _, sql := range sqls {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return err
		}
	}
	return nil
}

// errTemplateGone reports a template that is not there to clone: dropped, or
// left unfinished by a build that died.
var errTemplateGone = errors.New("template is gone or unfinished")

// clone creates a database from template tpl under a fresh random name. It
// holds the build lock of tpl shared meanwhile, and clones only a finished
// template: a build creates the database before it migrates it, and
// PostgreSQL copies any database it is asked to, finished or not.
func (a *admin) clone(ctx context.Context, tpl string) (string, error) {
	conn, err := a.conns.get(ctx)
	if err != nil {
		return "", err
	}
	defer a.conns.put(conn)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock_shared($1)", lockKey(tpl)); err != nil {
		return "", fmt.Errorf("clone %s: lock: %w", tpl, err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.Exec(uctx, "SELECT pg_advisory_unlock_shared($1)", lockKey(tpl))
	}()
	var finished bool
	err = conn.QueryRow(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", tpl).Scan(&finished)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && !finished {
		return "", fmt.Errorf("clone %s: %w", tpl, errTemplateGone)
	}
	if err != nil {
		return "", fmt.Errorf("clone %s: %w", tpl, err)
	}
	for {
		name := tpl + "_" + randomHex(4)
		_, err := conn.Exec(ctx, "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(tpl)+a.strategy)
		if isCode(err, "42P04") { // duplicate_database: a name left by an earlier run
			continue
		}
		if err != nil {
			return "", fmt.Errorf("clone %s: %w", tpl, err)
		}
		return name, nil
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// drop removes a clone, terminating its connections.
func (a *admin) drop(ctx context.Context, name string) error {
	conn, err := a.conns.get(ctx)
	if err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	defer a.conns.put(conn)
	if a.pooler != "" && a.releasedByPooler(ctx, conn, name) {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)); err == nil {
			return nil
		}
	}
	awaitBackendsGone(ctx, conn, name)
	if a.force() == "" {
		_, _ = conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
	}
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+a.force()); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	return nil
}

// backendsGoneWithin bounds awaitBackendsGone: a test that leaves a
// connection open has its backend terminated by the drop after that long.
const backendsGoneWithin = 250 * time.Millisecond

// awaitBackendsGone waits, polling every millisecond, until no backend is
// connected to the database name, or backendsGoneWithin has passed. A test's
// pool closes just before its database is dropped, and its backends take a
// moment to exit; DROP DATABASE, finding one still there, checks again only
// after 100 ms. Asking first makes the usual drop a few milliseconds.
func awaitBackendsGone(ctx context.Context, conn *pgx.Conn, name string) {
	deadline := time.Now().Add(backendsGoneWithin)
	for {
		var connected bool
		err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = $1)", name).Scan(&connected)
		if err != nil || !connected || time.Now().After(deadline) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
