package main

import (
	"context"
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
	log         io.Writer
	dsn         string
	waiting     bool
	proc        *exec.Cmd
	exited      chan error
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

// launch runs the worker process and waits until it has registered its
// types, the last step before it claims.
func (o *ours) launch(ctx context.Context, pool *pgxpool.Pool) error {
	var mark time.Time
	if err := pool.QueryRow(ctx, `SELECT now()`).Scan(&mark); err != nil {
		return err
	}
	o.proc = exec.Command(o.bin, "worker", "--concurrency", strconv.Itoa(o.concurrency))
	o.proc.Dir, o.proc.Env, o.proc.Stdout, o.proc.Stderr = os.TempDir(), o.env(o.dsn), o.log, o.log
	if err := o.proc.Start(); err != nil {
		return err
	}
	o.exited = make(chan error, 1)
	go func() { o.exited <- o.proc.Wait() }()
	for {
		var registered time.Time
		if err := pool.QueryRow(ctx, `SELECT updated_at FROM task_types WHERE task_type = 'delay_task'`).Scan(&registered); err != nil {
			return err
		}
		if registered.After(mark) {
			return nil
		}
		select {
		case err := <-o.exited:
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
	err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tasks WHERE status IN ('pending', 'retrying'))
		OR EXISTS (SELECT 1 FROM tasks WHERE status = 'running')`).Scan(&busy)
	return busy, err
}

func (o *ours) latencies(ctx context.Context, pool *pgxpool.Pool) ([]time.Duration, error) {
	return durations(ctx, pool, `SELECT (extract(epoch FROM started_at - created_at) * 1e6)::bigint FROM tasks`)
}

func (o *ours) stop(context.Context) error {
	if o.proc == nil {
		return nil
	}
	_ = o.proc.Process.Signal(syscall.SIGTERM)
	err := <-o.exited
	if st := o.proc.ProcessState; st != nil {
		fmt.Fprintf(o.log, "ours: worker process used %s user + %s system CPU\n", st.UserTime(), st.SystemTime())
	}
	o.proc = nil
	return err
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
