package auth

import (
	"sync"
	"time"

	"example.com/demo/internal/apperr"
)

// windowCounter counts events per key in fixed windows that open at a key's
// first event. Once a key reaches the limit it stays blocked until its window
// closes, which is the "locked for the rest of the window" rule of the API.
type windowCounter struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	windows map[string]*window
}

type window struct {
	start time.Time
	count int
}

func newWindowCounter(limit int, every time.Duration, now func() time.Time) *windowCounter {
	return &windowCounter{limit: limit, window: every, now: now, windows: map[string]*window{}}
}

// current returns key's open window, dropping a closed one.
func (w *windowCounter) current(key string, now time.Time) *window {
	win := w.windows[key]
	if win != nil && !now.Before(win.start.Add(w.window)) {
		delete(w.windows, key)
		win = nil
	}
	return win
}

// blocked returns a RATE_LIMITED error when key has reached the limit.
func (w *windowCounter) blocked(key string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	if win := w.current(key, now); win != nil && win.count >= w.limit {
		return w.limited(win, now)
	}
	return nil
}

// add counts one event for key.
func (w *windowCounter) add(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	win := w.current(key, now)
	if win == nil {
		win = &window{start: now}
		w.windows[key] = win
	}
	win.count++
}

// allow counts one event and refuses it when it goes over the limit.
func (w *windowCounter) allow(key string) error {
	if err := w.blocked(key); err != nil {
		return err
	}
	w.add(key)
	return nil
}

// undo takes back one event of key's open window.
func (w *windowCounter) undo(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if win := w.current(key, w.now()); win != nil && win.count > 0 {
		win.count--
	}
}

func (w *windowCounter) reset(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.windows, key)
}

// sweep drops closed windows so that the map does not grow without bound.
func (w *windowCounter) sweep() {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	for key := range w.windows {
		w.current(key, now)
	}
}

// limited reports the seconds left in the window, rounded up, at least one.
func (w *windowCounter) limited(win *window, now time.Time) error {
	left := win.start.Add(w.window).Sub(now)
	secs := (left + time.Second - 1) / time.Second
	if secs < 1 {
		secs = 1
	}
	return apperr.RateLimited(secs * time.Second)
}
