// Package health runs the dependency checks behind the health probes. Each
// check runs with its own timeout, so a dead dependency fails a probe fast
// instead of hanging it.
package health

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Status values of a check.
const (
	StatusHealthy   = "healthy"
	StatusUnhealthy = "unhealthy"
)

// Probe names a group of checks answered by one endpoint.
type Probe uint8

// The probes a check can belong to.
const (
	// Detailed is GET /health/detailed (and GET /health).
	Detailed Probe = 1 << iota
	// Ready is the readiness probe.
	Ready
	// Startup is the startup probe.
	Startup
)

// Func checks one dependency. It returns the message shown when healthy, or an
// error whose text becomes the message when not.
type Func func(ctx context.Context) (string, error)

// Result is one check's outcome as the API shows it.
type Result struct {
	Status    string  `json:"status"`
	Message   string  `json:"message"`
	LatencyMS float64 `json:"latency_ms"`
}

// Healthy reports whether the check passed.
func (r Result) Healthy() bool { return r.Status == StatusHealthy }

type check struct {
	name   string
	fn     Func
	probes Probe
}

// Registry holds the checks of the service. Features add theirs at wiring time.
type Registry struct {
	timeout time.Duration
	mu      sync.RWMutex
	checks  []check
}

// NewRegistry returns an empty registry whose checks each get timeout
// (2s when timeout is not positive).
func NewRegistry(timeout time.Duration) *Registry {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	return &Registry{timeout: timeout}
}

// Register adds a check to the given probes; a second check of the same name replaces the first.
func (r *Registry) Register(name string, probes Probe, fn Func) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checks = slices.DeleteFunc(r.checks, func(c check) bool { return c.name == name })
	r.checks = append(r.checks, check{name: name, fn: fn, probes: probes})
}

// Run runs the checks of a probe concurrently and reports each by name, and
// whether all passed.
func (r *Registry) Run(ctx context.Context, probe Probe) (map[string]Result, bool) {
	r.mu.RLock()
	selected := make([]check, 0, len(r.checks))
	for _, c := range r.checks {
		if c.probes&probe != 0 {
			selected = append(selected, c)
		}
	}
	r.mu.RUnlock()
	results := make([]Result, len(selected))
	var wg sync.WaitGroup
	for i, c := range selected {
		wg.Go(func() { results[i] = r.runOne(ctx, c.fn) })
	}
	wg.Wait()
	out := make(map[string]Result, len(selected))
	ok := true
	for i, c := range selected {
		out[c.name] = results[i]
		ok = ok && results[i].Healthy()
	}
	return out, ok
}

func (r *Registry) runOne(ctx context.Context, fn Func) Result {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	start := time.Now()
	msg, err := runGuarded(ctx, fn)
	latency := float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		if ctx.Err() != nil {
			return Result{Status: StatusUnhealthy, Message: "timed out after " + r.timeout.String(), LatencyMS: latency}
		}
		return Result{Status: StatusUnhealthy, Message: err.Error(), LatencyMS: latency}
	}
	return Result{Status: StatusHealthy, Message: msg, LatencyMS: latency}
}

// runGuarded returns as soon as ctx ends even when fn ignores its context.
func runGuarded(ctx context.Context, fn Func) (string, error) {
	type outcome struct {
		msg string
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		msg, err := fn(ctx)
		done <- outcome{msg, err}
	}()
	select {
	case o := <-done:
		return o.msg, o.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
