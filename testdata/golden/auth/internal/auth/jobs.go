package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// claimJobSQL moves a job's last run to now when the previous run is at
// least $2 microseconds old, and returns a row only then. Two instances
// claiming at once queue on the row's lock; the second sees the first's
// committed time and gets nothing. Time is the database's clock, not the
// service's: it is the one clock every instance shares.
const claimJobSQL = `
	INSERT INTO cluster_jobs AS j (name, last_run_at) VALUES ($1, clock_timestamp())
	ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at
		WHERE j.last_run_at <= clock_timestamp() - $2 * interval '1 microsecond'
	RETURNING true`

// runClusterJob runs job once per period across every instance sharing the
// database: the instance that claims the job's row runs it inside the
// claim's transaction, and the others skip it (ran is false). A job that
// fails rolls its claim back, so the next instance to try runs it.
//
// The claim is a row, not a session advisory lock, so that it works through
// a connection pooler in transaction mode. A claim accepts a previous run
// 9/10 of a period old: instances whose tickers drift a little apart still
// run the job about once per period instead of skipping whole periods.
func runClusterJob(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, name string, period time.Duration, job func(tx pgx.Tx) error) (ran bool, err error) {
	minAge := (period - period/10).Microseconds()
	err = inTx(ctx, db, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, claimJobSQL, name, minAge).Scan(&ran)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("claim %s: %w", name, err)
		}
		return job(tx)
	})
	if err != nil {
		return false, err
	}
	return ran, nil
}
