package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"example.com/demo/internal/apperr"
)

// limiter counts events per key in fixed windows that open at a key's first
// event. Once a key reaches the limit it stays blocked until its window
// closes, which is the "locked for the rest of the window" rule of the API.
//
// The counts live in the rate_limits table, so every instance of the service
// counts against the same windows: five failed logins spread over three
// instances lock an account as five on one would. Each check is one
// statement, atomic on its own; the process keeps nothing per key, and the
// session clean-up deletes the rows of closed windows.
type limiter struct {
	db     querier
	name   string
	limit  int
	window time.Duration
	now    func() time.Time
	logger *slog.Logger
	// failOpen says what a check does when the database cannot answer it:
	// let the event through (true) or refuse it with 503 (false).
	failOpen bool
}

// allowSQL counts one event and returns the key's count and window end. The
// count stops at limit+1: hits above limit means the event was refused, and
// no refusal moves it further (so it cannot overflow). A closed window is
// replaced by a new one that starts with this event.
const allowSQL = `
	INSERT INTO rate_limits AS r (key, window_end, hits) VALUES ($1, $3, 1)
	ON CONFLICT (key) DO UPDATE SET
		window_end = CASE WHEN r.window_end <= $2 THEN excluded.window_end ELSE r.window_end END,
		hits = CASE WHEN r.window_end <= $2 THEN 1 ELSE least(r.hits + 1, $4 + 1) END
	RETURNING hits, window_end`

// allow counts one event for key, or refuses it when key has reached the
// limit. The check and the count are one statement on one row, so concurrent
// callers on any number of instances never take more than the limit.
func (l *limiter) allow(ctx context.Context, key string) error {
	now := l.now()
	var hits int
	var end time.Time
	err := l.db.QueryRow(ctx, allowSQL, l.key(key), now, now.Add(l.window), l.limit).Scan(&hits, &end)
	if err != nil {
		return l.unavailable(ctx, err)
	}
	if hits > l.limit {
		return limited(end.Sub(now))
	}
	return nil
}

// undo takes back one event of key's open window. A count above the limit
// holds refusals, not events: it is brought back to the limit first.
func (l *limiter) undo(ctx context.Context, key string) {
	_, err := l.db.Exec(ctx, `UPDATE rate_limits SET hits = least(hits, $3) - 1
		WHERE key = $1 AND window_end > $2 AND hits > 0`, l.key(key), l.now(), l.limit)
	l.logFailure(ctx, "undo", err)
}

// reset forgets key's window.
func (l *limiter) reset(ctx context.Context, key string) {
	_, err := l.db.Exec(ctx, `DELETE FROM rate_limits WHERE key = $1`, l.key(key))
	l.logFailure(ctx, "reset", err)
}

// unavailable is the answer of a check the database could not make. A
// request that ended meanwhile (its client left) is not worth a log line.
func (l *limiter) unavailable(ctx context.Context, err error) error {
	gone := ctx.Err() != nil
	if l.failOpen {
		if !gone {
			l.logger.WarnContext(ctx, "rate limit not checked: letting the request through", "limit", l.name, "error", err)
		}
		return nil
	}
	if !gone {
		l.logger.ErrorContext(ctx, "rate limit not checked: refusing the request", "limit", l.name, "error", err)
	}
	e := apperr.New(apperr.CodeServiceUnavailable, "Service temporarily unavailable, try again later")
	e.RetryAfter = time.Second
	return e
}

// logFailure logs an undo or reset that did not happen. Either only leaves
// a key a few attempts fewer until its window closes: not worth failing a
// login that succeeded.
func (l *limiter) logFailure(ctx context.Context, op string, err error) {
	if err != nil {
		l.logger.WarnContext(ctx, "rate limit "+op+" failed", "limit", l.name, "error", err)
	}
}

// maxKeyBytes bounds a stored key; longer keys (login names are the
// client's to choose) are stored as their SHA-256.
const maxKeyBytes = 128

// key is the row key of key under this limiter: its name, a colon and key,
// or the key's hash when key is long or not text PostgreSQL can store.
func (l *limiter) key(key string) string {
	if len(key) > maxKeyBytes || !utf8.ValidString(key) || strings.ContainsRune(key, 0) {
		sum := sha256.Sum256([]byte(key))
		key = "sha256:" + hex.EncodeToString(sum[:])
	}
	return l.name + ":" + key
}

// sweepRateLimits deletes the rows of closed windows.
func sweepRateLimits(ctx context.Context, q querier, now time.Time) (int64, error) {
	tag, err := q.Exec(ctx, `DELETE FROM rate_limits WHERE window_end <= $1`, now)
	return tag.RowsAffected(), err
}

// limited reports the seconds left in the window, rounded up, at least one.
func limited(left time.Duration) error {
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
