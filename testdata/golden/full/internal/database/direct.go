package database

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Connect opens one connection on url outside any pool, for what a pooled
// connection cannot do: LISTEN keeps its server session for as long as it
// listens. applicationName names the connection in pg_stat_activity unless
// the URL sets application_name. opts apply as to a pool (the query exec
// mode).
func Connect(ctx context.Context, url, applicationName string, opts ...PoolOption) (*pgx.Conn, error) {
	// Parsed as the pool parses it, so that the pool_* settings a
	// DATABASE_URL may carry are understood rather than sent to the server.
	poolCfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database: parse url: %w", err)
	}
	for _, opt := range opts {
		if err := opt(poolCfg); err != nil {
			return nil, err
		}
	}
	cfg := poolCfg.ConnConfig
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	if !containsParam(url, "application_name") {
		cfg.RuntimeParams["application_name"] = applicationName
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database: connect: %w", err)
	}
	registerTypes(conn)
	return conn, nil
}
