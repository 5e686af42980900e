package auth

import (
	"net/netip"
	"sync"
	"time"

	"example.com/demo/internal/apperr"
)

// overflowKey is the window shared by new keys while a counter is full of
// keys that are blocked (see makeRoom).
const overflowKey = "\x00overflow"

// windowCounter counts events per key in fixed windows that open at a key's
// first event. Once a key reaches the limit it stays blocked until its window
// closes, which is the "locked for the rest of the window" rule of the API.
//
// Keys come from clients (addresses, login names), so the map is bounded by
// maxKeys: a flood of distinct keys costs at most maxKeys windows of memory.
type windowCounter struct {
	limit   int
	window  time.Duration
	now     func() time.Time
	maxKeys int

	mu      sync.Mutex
	windows map[string]*window
	// fullUntil is when makeRoom may scan again after a scan that freed too
	// little; until then new keys share the overflow window.
	fullUntil time.Time
}

type window struct {
	start time.Time
	count int
}

func newWindowCounter(limit int, every time.Duration, maxKeys int, now func() time.Time) *windowCounter {
	return &windowCounter{limit: limit, window: every, now: now, maxKeys: maxKeys, windows: map[string]*window{}}
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

// allow counts one event for key, or refuses it when key has reached the
// limit. The check and the count are one critical section, so concurrent
// callers can never take more than the limit between them.
func (w *windowCounter) allow(key string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	win := w.current(key, now)
	if win == nil {
		key = w.makeRoom(key, now)
		if win = w.current(key, now); win == nil {
			win = &window{start: now}
			w.windows[key] = win
		}
	}
	if win.count >= w.limit {
		return w.limited(win, now)
	}
	win.count++
	return nil
}

// makeRoom returns the key under which a new key's window is kept: the key
// itself while the map has room. When the map is full it first drops closed
// windows and those that block nothing yet (forgetting a partial count only
// gives that key back a few attempts); blocked keys are kept, so a flood of
// new keys cannot lift a lock. When that frees less than an eighth of the
// map, new keys share one overflow window until the earliest remaining
// window closes, so a saturated map is scanned once per window, not per key.
func (w *windowCounter) makeRoom(key string, now time.Time) string {
	if len(w.windows) < w.maxKeys {
		return key
	}
	if now.Before(w.fullUntil) {
		return overflowKey
	}
	earliest := now.Add(w.window)
	for k, win := range w.windows {
		end := win.start.Add(w.window)
		switch {
		case !now.Before(end) || win.count < w.limit:
			delete(w.windows, k)
		case end.Before(earliest):
			earliest = end
		}
	}
	if len(w.windows) > w.maxKeys-w.maxKeys/8 {
		w.fullUntil = earliest
	}
	if len(w.windows) >= w.maxKeys {
		return overflowKey
	}
	return key
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

// sweep drops closed windows so that the map does not keep keys that no
// longer limit anything.
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

// ipKey is the rate-limit key of a client address. An IPv6 client usually
// holds a whole /64 (and picks new addresses in it at will), so IPv6
// addresses count by their /64; IPv4, and IPv4 mapped into IPv6, by address.
// Anything that does not parse is its own key.
func ipKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.WithZone("").Prefix(64)
	return p.String()
}
