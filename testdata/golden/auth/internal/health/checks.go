package health

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Database checks that PostgreSQL answers a ping.
func Database(pool *pgxpool.Pool) Func {
	return func(ctx context.Context) (string, error) {
		if err := pool.Ping(ctx); err != nil {
			return "", errors.New("database connection failed")
		}
		return "Database connection successful", nil
	}
}

// Migrations checks that the schema is at the latest embedded migration and not dirty.
func Migrations(pool *pgxpool.Pool, latest uint) Func {
	return func(ctx context.Context) (string, error) {
		var version int64
		var dirty bool
		err := pool.QueryRow(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&version, &dirty)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return "", errors.New("no migration applied")
		case err != nil:
			return "", errors.New("migration version unreadable")
		case dirty:
			return "", fmt.Errorf("migration %d is dirty", version)
		case uint(version) != latest:
			return "", fmt.Errorf("schema at version %d, want %d", version, latest)
		}
		return fmt.Sprintf("Schema at version %d", version), nil
	}
}

// Schema checks that the expected tables exist.
func Schema(pool *pgxpool.Pool, tables ...string) Func {
	return func(ctx context.Context) (string, error) {
		var missing []string
		err := pool.QueryRow(ctx,
			`SELECT coalesce(array_agg(t ORDER BY t), '{}') FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NULL`,
			tables).Scan(&missing)
		if err != nil {
			return "", errors.New("schema unreadable")
		}
		if len(missing) > 0 {
			return "", fmt.Errorf("missing tables: %s", strings.Join(missing, ", "))
		}
		return fmt.Sprintf("%d expected tables present", len(tables)), nil
	}
}
