package main

import (
	"context"
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
	cooldown    time.Duration
	poll        time.Duration
	client      *river.Client[pgx.Tx]
	waiting     bool
}

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

// start creates the client; it starts at once unless a backlog waits for release.
func (r *riverSystem) start(ctx context.Context, _ string, pool *pgxpool.Pool) error {
	c, err := r.newClient(pool)
	if err != nil {
		return err
	}
	r.client = c
	if r.waiting {
		return nil
	}
	return c.Start(ctx)
}

func (r *riverSystem) release(ctx context.Context, _ *pgxpool.Pool) error {
	r.waiting = false
	return r.client.Start(ctx)
}

func (r *riverSystem) insert(ctx context.Context, _ *pgxpool.Pool) error {
	_, err := r.client.Insert(ctx, noopArgs{}, nil)
	return err
}

func (r *riverSystem) completed(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var n int64
	err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE state = 'completed'`).Scan(&n)
	return n, err
}

func (r *riverSystem) busy(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	var busy bool
	err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM river_job
		WHERE state IN ('available', 'running', 'retryable', 'scheduled', 'pending'))`).Scan(&busy)
	return busy, err
}

func (r *riverSystem) latencies(ctx context.Context, pool *pgxpool.Pool) ([]time.Duration, error) {
	return durations(ctx, pool, `SELECT (extract(epoch FROM attempted_at - created_at) * 1e6)::bigint FROM river_job`)
}

func (r *riverSystem) stop(ctx context.Context) error {
	if r.client == nil {
		return nil
	}
	err := r.client.Stop(ctx)
	r.client = nil
	return err
}
