package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ours runs the template's `worker` command as a separate process, as it is
// deployed, on delay_task with delay_seconds 0.
type ours struct {
	bin         string
	concurrency int
	procs       int
	log         io.Writer
	dsn         string
	waiting     bool
	workers     []*workerProc
}

// workerProc is one running worker process.
type workerProc struct {
	cmd    *exec.Cmd
	exited chan error
}

func (o *ours) name() string { return "ours" }

func (o *ours) env(dsn string) []string {
	return append(os.Environ(), "APP_ENV=production", "DATABASE_URL="+dsn, "LOG_LEVEL=warn",
		"CONFIG_DIR="+os.TempDir()+"/queue-bench-no-config")
}

func (o *ours) prepare(ctx context.Context, dsn string, pool *pgxpool.Pool) error {
	if err := command(ctx, os.TempDir(), o.env(dsn), o.log, o.bin, "migrate", "up"); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	_, err := pool.Exec(ctx, `INSERT INTO task_types (task_type) VALUES ('delay_task') ON CONFLICT DO NOTHING`)
	return err
}

func (o *ours) backlog(ctx context.Context, pool *pgxpool.Pool, n int) error {
	_, err := pool.Exec(ctx, `INSERT INTO tasks (task_type, payload)
		SELECT 'delay_task', '{"delay_seconds":0}' FROM generate_series(1, $1)`, n)
	o.waiting = err == nil
	return err
}

// start runs the worker at once, or at release when a backlog waits.
func (o *ours) start(ctx context.Context, dsn string, pool *pgxpool.Pool) error {
	o.dsn = dsn
	if o.waiting {
		return nil
	}
	return o.launch(ctx, pool)
}

// release starts the worker on the backlog: the clock of the drain includes
// the process's start-up.
func (o *ours) release(ctx context.Context, pool *pgxpool.Pool) error {
	o.waiting = false
	return o.launch(ctx, pool)
}

// launch runs the worker processes and waits until one has registered its
// types, the last step before it claims.
func (o *ours) launch(ctx context.Context, pool *pgxpool.Pool) error {
	var mark time.Time
	if err := pool.QueryRow(ctx, `SELECT now()`).Scan(&mark); err != nil {
		return err
	}
	exited := make(chan error, o.procs)
	for range o.procs {
		cmd := exec.Command(o.bin, "worker", "--concurrency", strconv.Itoa(o.concurrency))
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = os.TempDir(), o.env(o.dsn), o.log, o.log
		if err := cmd.Start(); err != nil {
			return err
		}
		w := &workerProc{cmd: cmd, exited: make(chan error, 1)}
		go func() {
			err := cmd.Wait()
			w.exited <- err
			exited <- err
		}()
		o.workers = append(o.workers, w)
	}
	for {
		var registered time.Time
		if err := pool.QueryRow(ctx, `SELECT updated_at FROM task_types WHERE task_type = 'delay_task'`).Scan(&registered); err != nil {
			return err
		}
		if registered.After(mark) {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("worker exited: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (o *ours) insert(ctx context.Context, pool *pgxpool.Pool) error {
	// The statement of tasks.Store.Create.
	_, err := pool.Exec(ctx, `INSERT INTO tasks (task_type, priority, payload, metadata, max_attempts, retry_strategy, scheduled_at, created_by)
		SELECT $1, 1, '{"delay_seconds":0}', '{}', 5, NULL, now(), NULL
		WHERE EXISTS (SELECT 1 FROM task_types WHERE task_type = $1 AND is_active)`, "delay_task")
	return err
}

func (o *ours) completed(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var n int64
	err := pool.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE status = 'completed'`).Scan(&n)
	return n, err
}

func (o *ours) busy(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	var busy bool
	// The conditions and order of tasks_claim_idx and tasks_lease_idx, so
	// that each test is an index scan that stops at its first row (a plain
	// EXISTS over the waiting tasks is planned as a sequential scan, which
	// walks every finished task once the drain is under way).
	err := pool.QueryRow(ctx, `SELECT (SELECT 1 FROM tasks WHERE status IN ('pending', 'retrying') AND NOT paused
			ORDER BY priority DESC, scheduled_at, id LIMIT 1) IS NOT NULL
		OR EXISTS (SELECT 1 FROM tasks WHERE status = 'running')`).Scan(&busy)
	return busy, err
}

func (o *ours) latencies(ctx context.Context, pool *pgxpool.Pool) ([]time.Duration, error) {
	return durations(ctx, pool, `SELECT (extract(epoch FROM started_at - created_at) * 1e6)::bigint FROM tasks`)
}

// stop ends the worker processes and returns the CPU time they used.
func (o *ours) stop(context.Context) (time.Duration, error) {
	for _, w := range o.workers {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
	}
	var errs []error
	var used time.Duration
	for _, w := range o.workers {
		errs = append(errs, <-w.exited)
		if st := w.cmd.ProcessState; st != nil {
			fmt.Fprintf(o.log, "ours: worker process used %s user + %s system CPU\n", st.UserTime(), st.SystemTime())
			used += st.UserTime() + st.SystemTime()
		}
	}
	o.workers = nil
	return used, errors.Join(errs...)
}

func durations(ctx context.Context, pool *pgxpool.Pool, q string) ([]time.Duration, error) {
	rows, err := pool.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []time.Duration
	for rows.Next() {
		var us int64
		if err := rows.Scan(&us); err != nil {
			return nil, err
		}
		out = append(out, time.Duration(us)*time.Microsecond)
	}
	return out, rows.Err()
}

// command runs a program and reports its output only when it fails.
func command(ctx context.Context, dir string, env []string, log io.Writer, name string, args ...string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		fmt.Fprintf(log, "%s", out)
	}
	return err
}
