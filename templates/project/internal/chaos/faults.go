package chaos

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// outage is one absence of the database and how long readiness took to come back.
type outage struct {
	down, up time.Time
	recovery time.Duration
	ready    bool
}

// window is when a fault lasted.
type window struct{ from, to time.Time }

// inject runs the level's schedule of faults over span, each in its own
// goroutine; a fault whose kind is still being injected is skipped. It
// returns once every fault is undone.
func (r *run) inject(ctx context.Context, span time.Duration) error {
	injectors := map[string]injector{faultDatabase: r.restartDatabase, faultServer: r.killServer, faultRestart: r.restartGracefully}
	for _, l := range r.loads {
		for k, inj := range l.faults(r) {
			injectors[k] = inj
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	busy := map[string]bool{}
	var errs []error
	for _, ev := range schedule(r.plan.level, span, r.rng()) {
		if !sleep(ctx, time.Until(start.Add(ev.at))) {
			break
		}
		inj := injectors[ev.kind]
		mu.Lock()
		skip := inj == nil || busy[ev.kind]
		busy[ev.kind] = busy[ev.kind] || !skip
		mu.Unlock()
		if skip {
			continue
		}
		wg.Go(func() {
			from := time.Now()
			err := inj(context.WithoutCancel(ctx), ev.hold)
			r.mu.Lock()
			r.faults[ev.kind]++
			r.windows[ev.kind] = append(r.windows[ev.kind], window{from, time.Now()})
			r.mu.Unlock()
			mu.Lock()
			busy[ev.kind] = false
			if err != nil {
				errs = append(errs, fmt.Errorf("chaos: %s: %w", ev.kind, err))
			}
			mu.Unlock()
		})
	}
	sleep(ctx, time.Until(start.Add(span)))
	wg.Wait()
	return errors.Join(errs...)
}

// restartDatabase takes the database away for hold, brings it back, and
// measures how long every server takes to answer readiness with 200 again.
func (r *run) restartDatabase(ctx context.Context, hold time.Duration) error {
	r.dbFault.Store(true)
	defer r.dbFault.Store(false)
	down := time.Now()
	r.dbDown.Store(true)
	err := r.db.Down(ctx)
	if err == nil {
		sleep(ctx, hold)
	}
	err = errors.Join(err, r.db.Up(ctx))
	up := time.Now()
	r.dbDown.Store(false)
	if err != nil {
		return err
	}
	rec, ok := r.awaitReady(ctx, r.aliveServers(), 30*time.Second)
	r.mu.Lock()
	r.outages = append(r.outages, outage{down: down, up: up, recovery: rec, ready: ok})
	r.mu.Unlock()
	return nil
}

// killServer kills a server with SIGKILL, starts it again after hold and
// waits until it is ready. It waits for a database restart to end first, so
// that the restart's readiness is measured on the same servers.
func (r *run) killServer(ctx context.Context, hold time.Duration) error {
	for r.dbFault.Load() {
		sleep(ctx, 100*time.Millisecond)
	}
	alive := r.aliveServers()
	if len(alive) == 0 {
		return nil
	}
	p := alive[r.rng().IntN(len(alive))]
	p.kill()
	sleep(ctx, hold)
	if err := p.start(); err != nil {
		return err
	}
	r.awaitReady(ctx, []*proc{p}, 30*time.Second)
	return nil
}

// restartGracefully stops a process as a deploy does (an interrupt, and
// the time it needs to finish: its requests, its running tasks), starts it
// again after hold and, for a server, waits until it is ready.
func (r *run) restartGracefully(ctx context.Context, hold time.Duration) error {
	var alive []*proc
	for _, p := range r.fleet.all() {
		if p.alive() {
			alive = append(alive, p)
		}
	}
	if len(alive) == 0 {
		return nil
	}
	p := alive[r.rng().IntN(len(alive))]
	p.stop(30 * time.Second)
	sleep(ctx, hold)
	if err := p.start(); err != nil {
		return err
	}
	if p.port != 0 {
		r.awaitReady(ctx, []*proc{p}, 30*time.Second)
	}
	return nil
}

func (r *run) aliveServers() []*proc {
	var out []*proc
	for _, p := range r.fleet.servers {
		if p.alive() {
			out = append(out, p)
		}
	}
	return out
}

func (p *proc) url(path string) string { return fmt.Sprintf("http://127.0.0.1:%d%s", p.port, path) }

// awaitReady polls readiness on each server every 50 ms until it answers
// 200, and returns the longest wait; ok is false when a server did not
// within limit.
func (r *run) awaitReady(ctx context.Context, servers []*proc, limit time.Duration) (time.Duration, bool) {
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Bool
	for _, p := range servers {
		wg.Go(func() {
			for time.Since(start) < limit && ctx.Err() == nil {
				reqCtx, cancel := context.WithTimeout(ctx, time.Second)
				a, err := r.client.do(reqCtx, "GET", p.url("/api/v1/health/ready"), "", nil)
				cancel()
				if err == nil && a.status == 200 {
					return
				}
				sleep(ctx, 50*time.Millisecond)
			}
			failed.Store(true)
		})
	}
	wg.Wait()
	return time.Since(start), !failed.Load()
}
