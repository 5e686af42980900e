package chaos

import (
	"context"
	"time"
)

// probes is the load every service gets: its health probes, twice a second
// on each server, so that readiness and the 5xx rule are watched between
// faults too.
type probes struct{}

func (*probes) env() []string                                { return nil }
func (*probes) prepare(context.Context, *run) error          { return nil }
func (*probes) begin(context.Context, *run) error            { return nil }
func (*probes) faults(*run) map[string]injector              { return nil }
func (*probes) progress(context.Context) string              { return "" }
func (*probes) settle(context.Context, *run) error           { return nil }
func (*probes) account(context.Context, *run, *Report) error { return nil }
func (*probes) close(context.Context) error                  { return nil }

func (*probes) drive(ctx context.Context, r *run) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, p := range r.aliveServers() {
			for _, path := range []string{"/api/v1/health/ready", "/api/v1/health"} {
				reqCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
				_, _ = r.client.do(reqCtx, "GET", p.url(path), "", nil)
				cancel()
			}
		}
	}
}
