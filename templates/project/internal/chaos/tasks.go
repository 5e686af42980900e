package chaos

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// taskLoad is the load of a service with tasks: a steady stream of tasks
// created through the API (delay tasks with deadlines and fail_attempts,
// webhooks to the run's own target, emails, data processing), reads of the
// task list, and the faults of levels 3–5: workers killed, a flood, the
// webhook target failing.
type taskLoad struct {
	run    string
	rate   float64
	target *target
	pool   *pgxpool.Pool
	token  string
	owned  bool
	count  atomic.Int64
	// offset is the database's clock minus this process's, to place the
	// ledger's times in the run's phases.
	offset time.Duration

	mu           sync.Mutex
	acks         []createAck
	lastProgress string
}

func newTaskLoad() *taskLoad { return &taskLoad{} }

// env sets what the run's timings rely on, whatever the configuration
// says: a 5 s lease (a killed worker's tasks come back within seconds), a
// breaker that tries again 2 s after it opened, webhooks
// allowed to reach the run's target on the loopback, and no quotas (the
// run's one user creates thousands of tasks).
func (l *taskLoad) env() []string {
	return []string{
		"TASKS_CONCURRENCY=10", "TASKS_LEASE=5s", "TASKS_POLL_INTERVAL=250ms", "TASKS_SHUTDOWN_GRACE=3s",
		"TASKS_BREAKER_FAILURE_THRESHOLD=10", "TASKS_BREAKER_SUCCESS_THRESHOLD=1", "TASKS_BREAKER_TIMEOUT=2s",
		"TASKS_WEBHOOK_ALLOW_PRIVATE=true", "TASKS_WEBHOOK_TIMEOUT=5s",
		"TASKS_QUOTA_PER_MINUTE=0", "TASKS_QUOTA_WAITING=0",
	}
}

// prepare names the run, starts the webhook target and installs the ledger.
func (l *taskLoad) prepare(ctx context.Context, r *run) error {
	b := make([]byte, 4)
	for i := range b {
		b[i] = byte(r.rng().IntN(256))
	}
	l.run = "chaos-" + hex.EncodeToString(b)
	l.rate = 20
	if r.plan.level == MaxLevel {
		l.rate = 25
	}
	_, l.owned = r.db.(*embedded)
	var err error
	if l.target, err = startTarget(); err != nil {
		return err
	}
	if l.pool, err = pgxpool.New(ctx, r.db.AdminURL()); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	var dbNow time.Time
	if err := l.pool.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&dbNow); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	l.offset = time.Until(dbNow)
	if _, err := l.pool.Exec(ctx, installLedgerSQL); err != nil {
		return fmt.Errorf("chaos: install the ledger: %w", err)
	}
	return nil
}

// begin waits until the workers have registered the task types, then
// registers the run's user and logs in.
func (l *taskLoad) begin(ctx context.Context, r *run) error {
	if err := l.awaitTypes(ctx, r); err != nil {
		return err
	}
	name := "chaos_" + l.run[len("chaos-"):]
	password := "Chaos-" + hex.EncodeToString([]byte(l.run)) + "!9a"
	reg, _ := json.Marshal(map[string]string{"username": name, "email": name + "@example.com", "password": password})
	srv := r.fleet.servers[0]
	if a, err := r.client.do(ctx, "POST", srv.url("/api/v1/auth/register"), "", reg); err != nil || a.status != http.StatusCreated {
		return fmt.Errorf("chaos: register the run's user: %d %s %w", a.status, a.body, err)
	}
	login, _ := json.Marshal(map[string]string{"username": name, "password": password})
	a, err := r.client.do(ctx, "POST", srv.url("/api/v1/auth/login"), "", login)
	if err != nil || a.status != http.StatusOK {
		return fmt.Errorf("chaos: log in: %d %s %w", a.status, a.body, err)
	}
	var env struct {
		Data struct {
			Token string `json:"session_token"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.body, &env); err != nil || env.Data.Token == "" {
		return fmt.Errorf("chaos: log in: no token in %s", a.body)
	}
	l.token = env.Data.Token
	return nil
}

// loadTypes are the task types the run creates.
var loadTypes = []string{"delay_task", "webhook", "email", "data_processing"} //nolint:gochecknoglobals // a table that is never written

// awaitTypes polls GET /tasks/types until every type of the load is listed:
// a task of a type no worker has registered yet is refused.
func (l *taskLoad) awaitTypes(ctx context.Context, r *run) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		a, err := r.client.do(ctx, "GET", r.fleet.servers[0].url("/api/v1/tasks/types"), "", nil)
		var env struct {
			Data []struct {
				TaskType string `json:"task_type"`
			} `json:"data"`
		}
		if err == nil && a.status == http.StatusOK && json.Unmarshal(a.body, &env) == nil {
			seen := map[string]bool{}
			for _, t := range env.Data {
				seen[t.TaskType] = true
			}
			if !slices.ContainsFunc(loadTypes, func(t string) bool { return !seen[t] }) {
				return nil
			}
		}
		if !sleep(ctx, 200*time.Millisecond) {
			return ctx.Err()
		}
	}
	return fmt.Errorf("chaos: the workers did not register the task types %v within a minute; see their logs in %s", loadTypes, r.logDir)
}

func (l *taskLoad) mix(r *run) mix {
	return mix{run: l.run, hookURL: l.target.URL(), rng: r.rng(), now: time.Now, count: &l.count}
}

// drive creates tasks at the load's rate, at most 32 requests in flight
// (a tick with none free is skipped), and reads the task list twice a
// second. Requests in flight when ctx ends are let finish, so that each
// gets its answer recorded.
func (l *taskLoad) drive(ctx context.Context, r *run) {
	m := l.mix(r)
	slots := make(chan struct{}, 32)
	var wg sync.WaitGroup
	defer wg.Wait()
	create := time.NewTicker(time.Duration(float64(time.Second) / l.rate))
	defer create.Stop()
	read := time.NewTicker(500 * time.Millisecond)
	defer read.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-read.C:
			wg.Go(func() { l.read(ctx, r) })
		case <-create.C:
			select {
			case slots <- struct{}{}:
				spec := m.next()
				wg.Go(func() {
					defer func() { <-slots }()
					l.create(context.WithoutCancel(ctx), r, spec)
				})
			default:
			}
		}
	}
}

// create sends one POST /tasks and records its answer.
func (l *taskLoad) create(ctx context.Context, r *run, spec taskSpec) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	a, err := r.client.do(ctx, "POST", r.server().url("/api/v1/tasks"), l.token, spec.body)
	ack := createAck{key: spec.key}
	if err == nil {
		ack.status = a.status
		if a.status == http.StatusCreated {
			var env struct {
				Data struct {
					ID string `json:"id"`
				} `json:"data"`
			}
			_ = json.Unmarshal(a.body, &env)
			ack.id = env.Data.ID
		}
	}
	l.mu.Lock()
	l.acks = append(l.acks, ack)
	l.mu.Unlock()
}

// read lists the newest tasks, a read path through authentication and the database.
func (l *taskLoad) read(ctx context.Context, r *run) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, _ = r.client.do(ctx, "GET", r.server().url("/api/v1/tasks?limit=20"), l.token, nil)
}

func (l *taskLoad) faults(r *run) map[string]injector {
	return map[string]injector{
		faultWorker: func(ctx context.Context, hold time.Duration) error { return l.killWorker(ctx, r, hold) },
		faultFlood:  func(ctx context.Context, _ time.Duration) error { return l.flood(ctx, r) },
		faultOutage: func(ctx context.Context, hold time.Duration) error {
			l.target.fail(true)
			sleep(ctx, hold)
			l.target.fail(false)
			return nil
		},
	}
}

// killWorker kills a running worker with SIGKILL (no shutdown, no release:
// its tasks stay claimed until their lease expires) and starts it again after hold.
func (l *taskLoad) killWorker(ctx context.Context, r *run, hold time.Duration) error {
	var alive []*proc
	for _, p := range r.fleet.workers {
		if p.alive() {
			alive = append(alive, p)
		}
	}
	if len(alive) == 0 {
		return nil
	}
	p := alive[r.rng().IntN(len(alive))]
	p.kill()
	sleep(ctx, hold)
	return p.start()
}

// flood creates, as fast as 48 clients can, 30 tasks per worker slot: 0.3 s
// each, that is nine seconds of work for the whole fleet arriving in a few.
func (l *taskLoad) flood(ctx context.Context, r *run) error {
	n := 30 * 10 * len(r.fleet.workers)
	m := l.mix(r)
	specs := make(chan taskSpec)
	var wg sync.WaitGroup
	for range 48 {
		wg.Go(func() {
			for s := range specs {
				l.create(ctx, r, s)
			}
		})
	}
	for range n {
		specs <- m.flood()
	}
	close(specs)
	wg.Wait()
	return nil
}

// progress is "tasks D/C done", read from the database at most once per
// call; while it is away, the last figures.
func (l *taskLoad) progress(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var done, all int
	err := l.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status IN ('completed', 'failed', 'cancelled')), count(*)
		FROM tasks WHERE metadata->>'chaos_run' = $1`, l.run).Scan(&done, &all)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.lastProgress = fmt.Sprintf("tasks %d/%d done", done, all)
	}
	return l.lastProgress
}

// settle waits until every task of the run is final, checking twice a second.
func (l *taskLoad) settle(ctx context.Context, r *run) error {
	for {
		var open int
		err := l.pool.QueryRow(ctx, `SELECT count(*) FROM tasks
			WHERE metadata->>'chaos_run' = $1 AND status NOT IN ('completed', 'failed', 'cancelled')`, l.run).Scan(&open)
		if err == nil && open == 0 {
			return nil
		}
		if !sleep(ctx, 500*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// close stops the target and, on a database the run does not own, removes
// the ledger (the run's tasks stay, tagged with metadata.chaos_run).
func (l *taskLoad) close(ctx context.Context) error {
	var errs []error
	if l.target != nil {
		errs = append(errs, l.target.close(ctx))
	}
	if l.pool != nil {
		if !l.owned {
			if _, err := l.pool.Exec(ctx, removeLedgerSQL); err != nil {
				errs = append(errs, fmt.Errorf("chaos: remove the ledger: %w", err))
			}
		}
		l.pool.Close()
	}
	return errors.Join(errs...)
}

// server picks the next running server, round robin (any server when none runs).
func (r *run) server() *proc {
	alive := r.aliveServers()
	if len(alive) == 0 {
		alive = r.fleet.servers
	}
	return alive[int(r.client.next.Add(1))%len(alive)]
}
