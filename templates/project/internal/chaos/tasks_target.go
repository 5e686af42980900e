package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// target is the external service of the run's webhook tasks: an HTTP server
// of the run's own that records every delivery (task id from the
// Idempotency-Key header, attempt from X-Task-Attempt), holds each for the
// time its body asks, and notices two deliveries of one task at once. It
// does not trust the service to say what ran: it saw it.
type target struct {
	srv     *http.Server
	ln      net.Listener
	failing atomic.Bool

	mu       sync.Mutex
	inFlight map[string]int
	log      []delivery
}

// delivery is one request the target received.
type delivery struct {
	task       string
	attempt    int
	start, end time.Time
	status     int
	// aborted is true when the worker went away before the answer (killed).
	aborted bool
	// overlapped is true when another delivery of the task was in flight.
	overlapped bool
}

// hookBody is what the run's webhook tasks post.
type hookBody struct {
	Key    string `json:"chaos_key"`
	HoldMS int    `json:"hold_ms"`
}

func startTarget() (*target, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("chaos: webhook target: %w", err)
	}
	t := &target{ln: ln, inFlight: map[string]int{}}
	t.srv = &http.Server{Handler: http.HandlerFunc(t.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = t.srv.Serve(ln) }()
	return t, nil
}

// URL is where webhook tasks post.
func (t *target) URL() string { return "http://" + t.ln.Addr().String() + "/hook" }

// fail makes the target answer 503 to everything (on) or serve again (off).
func (t *target) fail(on bool) { t.failing.Store(on) }

func (t *target) close(ctx context.Context) error {
	return t.srv.Shutdown(ctx)
}

func (t *target) serve(w http.ResponseWriter, req *http.Request) {
	d := delivery{task: req.Header.Get("Idempotency-Key"), start: time.Now()}
	d.attempt, _ = strconv.Atoi(req.Header.Get("X-Task-Attempt"))
	var body hookBody
	_ = json.NewDecoder(http.MaxBytesReader(w, req.Body, 1<<16)).Decode(&body)
	d.overlapped = t.enter(d.task)
	defer func() { t.leave(d) }()
	if t.failing.Load() {
		d.status = http.StatusServiceUnavailable
		w.WriteHeader(d.status)
		return
	}
	hold := time.NewTimer(time.Duration(min(max(body.HoldMS, 0), 5000)) * time.Millisecond)
	defer hold.Stop()
	select {
	case <-req.Context().Done():
		d.aborted = true
		return
	case <-hold.C:
	}
	d.status = http.StatusOK
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(d.status)
	_, err := w.Write([]byte(`{"received":true}`))
	d.aborted = errors.Is(err, net.ErrClosed)
}

// enter counts a delivery in flight and reports whether another of the same task was.
func (t *target) enter(task string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.inFlight[task]++
	return t.inFlight[task] > 1
}

func (t *target) leave(d delivery) {
	d.end = time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.inFlight[d.task]--
	if t.inFlight[d.task] == 0 {
		delete(t.inFlight, d.task)
	}
	t.log = append(t.log, d)
}

// deliveries returns every delivery recorded so far.
func (t *target) deliveries() []delivery {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]delivery{}, t.log...)
}
