package database

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/golang-migrate/migrate/v4/database"
	pgxmigrate "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// Migrations are serialised by a lock that works through a pooler in
// transaction mode as well as on PostgreSQL itself.
//
// golang-migrate's own lock is a session advisory lock, taken and released
// by two statements: behind a transaction pooler they may run on two server
// sessions, so the release misses and the lock stays with a pooled session
// that no one will ever release it from, holding every later migration.
// Instead, the lock here is a transaction-scoped advisory lock on the same
// key, held by a transaction left open on a connection of its own for the
// whole run: a pooler keeps one server session for an open transaction,
// and the lock goes with the transaction, also when this process dies and
// its connection closes. Being the same key, it also excludes a
// golang-migrate of an older version of the service taking its usual lock.
// golang-migrate's own Lock and Unlock are then no-ops (heldLock), but for
// the one its driver takes by itself when it opens, to create its table: that
// one is on a key private to the run (the key derives from the database name
// the driver is told), so that it waits for nothing and, should its release
// miss behind a pooler, blocks no one.

// migrationsTable is golang-migrate's default, where the version is kept.
const migrationsTable = "schema_migrations"

// migrationLock is the open transaction holding the lock.
type migrationLock struct {
	conn *pgx.Conn
	tx   pgx.Tx
}

// lockMigrations waits for the migration lock of the database at dsn.
func lockMigrations(ctx context.Context, dsn string) (*migrationLock, error) {
	cfg, err := migrateConnConfig(dsn)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	l := &migrationLock{conn: conn}
	if err := l.acquire(ctx); err != nil {
		l.release()
		return nil, err
	}
	return l, nil
}

func (l *migrationLock) acquire(ctx context.Context) error {
	var err error
	if l.tx, err = l.conn.Begin(ctx); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	var db, schema string
	if err := l.tx.QueryRow(ctx, `SELECT current_database(), current_schema()`).Scan(&db, &schema); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	key, err := database.GenerateAdvisoryLockId(db, schema, migrationsTable)
	if err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	if _, err := l.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1::bigint)`, key); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	return nil
}

// release ends the transaction, and so the lock, and closes the connection.
func (l *migrationLock) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if l.tx != nil {
		_ = l.tx.Rollback(ctx)
	}
	_ = l.conn.Close(ctx)
}

// migrateConnConfig is the configuration of the migrations' connections:
// the exec query mode unless dsn says otherwise, since golang-migrate's few
// statements gain nothing from prepared statements, which a transaction
// pooler cannot keep.
func migrateConnConfig(dsn string) (*pgx.ConnConfig, error) {
	// Parsed as the pool parses it, so that pool_* settings are understood.
	poolCfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse url: %w", err)
	}
	cfg := poolCfg.ConnConfig
	if !containsParam(dsn, "default_query_exec_mode") {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	return cfg, nil
}

// openDriver opens golang-migrate's pgx driver on dsn, its own lock on a key
// of this run alone (see above).
func openDriver(dsn string) (database.Driver, error) {
	cfg, err := migrateConnConfig(dsn)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg)
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	drv, err := pgxmigrate.WithInstance(db, &pgxmigrate.Config{
		MigrationsTable: migrationsTable,
		DatabaseName:    cfg.Database + "/run-" + hex.EncodeToString(nonce),
	})
	if err != nil {
		return nil, closeAfter(db, err)
	}
	return heldLock{drv}, nil
}

// heldLock is a golang-migrate driver whose Lock and Unlock do nothing: the
// run holds the migration lock already (lockMigrations).
type heldLock struct{ database.Driver }

func (heldLock) Lock() error   { return nil }
func (heldLock) Unlock() error { return nil }

func closeAfter(db *sql.DB, err error) error {
	db.Close()
	return err
}
