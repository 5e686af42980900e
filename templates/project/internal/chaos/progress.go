package chaos

import (
	"context"
	"fmt"
	"time"
)

// showProgress prints a progress line every 3 s until the returned func is called.
func (r *run) showProgress(ctx context.Context) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(3 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fmt.Fprintln(r.out, r.progressLine(ctx))
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (r *run) progressLine(ctx context.Context) string {
	elapsed := time.Since(r.began).Truncate(time.Second)
	line := fmt.Sprintf("chaos: level %d  %s  %s/%s", r.plan.level, r.phase.Load(), clock(elapsed), clock(r.opts.Duration))
	for _, l := range r.loads {
		if s := l.progress(ctx); s != "" {
			line += "  " + s
		}
	}
	r.mu.Lock()
	n := 0
	for _, c := range r.faults {
		n += c
	}
	r.mu.Unlock()
	h := r.client.counts()
	return line + fmt.Sprintf("  faults %d  http %d (5xx %d)", n, h.Requests, h.Errors5xx)
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}
