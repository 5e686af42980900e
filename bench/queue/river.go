package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

type noopArgs struct{}

func (noopArgs) Kind() string { return "noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
}

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

// riverSystem runs River in-process with a no-op worker.
type riverSystem struct {
	concurrency int
	clients     int
	cooldown    time.Duration
	poll        time.Duration
	running     []*riverClient
	waiting     bool
	cpu0        time.Duration
}

// riverClient is one River client with a pool of its own, as one process
// of a deployment would have.
type riverClient struct {
	client *river.Client[pgx.Tx]
	pool   *pgxpool.Pool
}

// riverPoolSize matches the pool of our worker process (database.NewPool).
const riverPoolSize = 20

func (r *riverSystem) name() string { return "river" }

func (r *riverSystem) prepare(ctx context.Context, _ string, pool *pgxpool.Pool) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

func (r *riverSystem) newClient(pool *pgxpool.Pool) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, noopWorker{})
	return river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: r.concurrency}},
		Workers:           workers,
		FetchCooldown:     r.cooldown,
		FetchPollInterval: r.poll,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

func (r *riverSystem) backlog(ctx context.Context, pool *pgxpool.Pool, n int) error {
	c, err := r.newClient(pool)
	if err != nil {
		return err
	}
	for done := 0; done < n; {
		batch := make([]river.InsertManyParams, min(10000, n-done))
		for i := range batch {
			batch[i] = river.InsertManyParams{Args: noopArgs{}}
		}
		if _, err := c.InsertManyFast(ctx, batch); err != nil {
			return err
		}
		done += len(batch)
	}
	r.waiting = true
	return nil
}

// start creates the clients, each on a pool of its own; they start at once
// unless a backlog waits for release.
func (r *riverSystem) start(ctx context.Context, dsn string, _ *pgxpool.Pool) error {
	r.cpu0 = selfCPU()
	for range max(r.clients, 1) {
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			return err
		}
		cfg.MaxConns = riverPoolSize
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return err
		}
		c, err := r.newClient(pool)
		if err != nil {
			pool.Close()
			return err
		}
		r.running = append(r.running, &riverClient{client: c, pool: pool})
	}
	if r.waiting {
		return nil
	}
	return r.startAll(ctx)
}

func (r *riverSystem) startAll(ctx context.Context) error {
	for _, c := range r.running {
		if err := c.client.Start(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (r *riverSystem) release(ctx context.Context, _ *pgxpool.Pool) error {
	r.waiting = false
	return r.startAll(ctx)
}

func (r *riverSystem) insert(ctx context.Context, _ *pgxpool.Pool) error {
	_, err := r.running[0].client.Insert(ctx, noopArgs{}, nil)
	return err
}

func (r *riverSystem) completed(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var n int64
	err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state = 'completed'`).Scan(&n)
	return n, err
}

func (r *riverSystem) busy(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	var busy bool
	// In the order of river_job_prioritized_fetching_index, so that the test
	// is an index scan that stops at its first row (a plain EXISTS is
	// planned as a sequential scan, which walks every finished job once the
	// drain is under way).
	err := pool.QueryRow(ctx, `SELECT (SELECT 1 FROM river_job
		WHERE state IN ('available', 'running', 'retryable', 'scheduled', 'pending')
		ORDER BY state, queue, priority, scheduled_at, id LIMIT 1) IS NOT NULL`).Scan(&busy)
	return busy, err
}

func (r *riverSystem) latencies(ctx context.Context, pool *pgxpool.Pool) ([]time.Duration, error) {
	return durations(ctx, pool, `SELECT (extract(epoch FROM attempted_at - created_at) * 1e6)::bigint FROM river_job`)
}

// stop ends the clients and returns the CPU time this process used since
// start: River's, with the harness's polling in it.
func (r *riverSystem) stop(ctx context.Context) (time.Duration, error) {
	var errs []error
	for _, c := range r.running {
		errs = append(errs, c.client.Stop(ctx))
		c.pool.Close()
	}
	r.running = nil
	return selfCPU() - r.cpu0, errors.Join(errs...)
}
