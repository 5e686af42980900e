// Package database opens the PostgreSQL pool, applies the embedded migrations
// and, in development and test, starts an embedded PostgreSQL when no
// DATABASE_URL is configured.
package database

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Open returns a pool on url that has answered a ping. Settings the URL gives
// (pool_max_conns, pool_max_conn_lifetime, …) win over these defaults.
func Open(ctx context.Context, url string, opts ...PoolOption) (*pgxpool.Pool, error) {
	pool, err := NewPool(ctx, url, opts...)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: ping: %w", err)
	}
	return pool, nil
}

// NewPool returns a pool on url without connecting: its connections are made
// when first needed, so a database that is down now is not an error yet.
func NewPool(ctx context.Context, url string, opts ...PoolOption) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database: parse url: %w", err)
	}
	applyPoolDefaults(cfg, url)
	for _, opt := range opts {
		if err := opt(cfg); err != nil {
			return nil, err
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database: open: %w", err)
	}
	return pool, nil
}

// IsUnavailable reports whether err says the database could not be reached
// or went away: refused, unreachable or timed out connecting, the connection
// cut in the middle of a statement (a restart, a failover, a network
// partition), or the server shutting down or still starting up. A database
// that answered with an error of the statement's own is not unavailable.
func IsUnavailable(err error) bool {
	var connect *pgconn.ConnectError
	var netErr net.Error
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &connect), errors.As(err, &netErr),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		// A connection an earlier statement found cut (pgx closes it then):
		// the next statement of its transaction gets this.
		errors.Is(err, pgconn.ErrConnClosed):
		return true
	case errors.As(err, &pgErr):
		// Class 08 is a connection exception; 57P01–57P03 are an
		// administrator's or a crash's shutdown, and a server not yet
		// accepting connections.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return false
}

func applyPoolDefaults(cfg *pgxpool.Config, url string) {
	set := func(param string) bool { return containsParam(url, param) }
	if !set("pool_max_conns") {
		cfg.MaxConns = 20
	}
	if !set("pool_min_conns") {
		cfg.MinConns = 0
	}
	if !set("pool_max_conn_lifetime") {
		cfg.MaxConnLifetime = time.Hour
	}
	if !set("pool_max_conn_idle_time") {
		cfg.MaxConnIdleTime = 5 * time.Minute
	}
	if !set("pool_health_check_period") {
		cfg.HealthCheckPeriod = 30 * time.Second
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		registerTypes(conn)
		return nil
	}
}
