package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// RevocationChannel is the PostgreSQL notification channel of revocations:
// triggers on users and sessions (migration 000004_auth_instances) notify it
// with a user's id, in the transaction of every change that must reach the
// token cache of every instance (logout, logout-all, password change or
// reset, deactivation, deletion, role and profile changes, refresh).
const RevocationChannel = "auth_revocations"

// The listener's heartbeat. Every listenHeartbeat without a notification
// the listener pings its connection; a ping that returns proves that every
// notification committed before it was sent has been applied, and lets the
// cache serve entries for listenLease after the ping was sent. So a
// connection that hangs without an error stops the cache within listenLease
// (under the one second the API allows a revocation to take), and a ping
// slower than that only bypasses the cache until it returns. A ping that
// takes listenPingTimeout counts as a lost connection.
const (
	listenHeartbeat   = 250 * time.Millisecond
	listenLease       = 750 * time.Millisecond
	listenPingTimeout = 5 * time.Second
)

// Connector opens the dedicated connection the revocation listener holds.
// It must not come from a pool: LISTEN belongs to one server session for as
// long as it lasts, which a pooler in transaction mode cannot give.
type Connector func(ctx context.Context) (*pgx.Conn, error)

// listenerState is what the health check reports of the listener.
type listenerState struct {
	mu        sync.Mutex
	listening bool
	err       error
	since     time.Time
}

func (st *listenerState) set(listening bool, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.listening != listening || st.since.IsZero() {
		st.since = time.Now()
	}
	st.listening, st.err = listening, err
}

func (st *listenerState) get() (listening bool, since time.Time, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.listening, st.since, st.err
}

// ListenRevocations keeps a connection from connect listening on
// RevocationChannel until ctx ends, and drops from the token cache what each
// notification names. Until it listens, and whenever its connection is lost
// or late, the cache is bypassed (every request reads the database); it is
// emptied when the connection is lost and again when it is back, so nothing
// cached before can outlive a revocation the listener missed. It reconnects
// with a growing pause (at most 5 s). With the cache disabled it returns at
// once.
func (s *Service) ListenRevocations(ctx context.Context, connect Connector) error {
	if !s.cache.enabled() {
		return nil
	}
	pause := 100 * time.Millisecond
	for {
		heard, err := s.listen(ctx, connect)
		s.cache.flush()
		if ctx.Err() != nil {
			return nil
		}
		s.listener.set(false, err)
		s.logger.Warn("revocation listener lost its connection: token cache bypassed until it is back", "error", err)
		if heard {
			pause = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// listen runs one connection: LISTEN, then notifications and heartbeats
// until an error. heard reports whether it got as far as listening.
func (s *Service) listen(ctx context.Context, connect Connector) (heard bool, err error) {
	conn, err := connect(ctx)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	sent := time.Now()
	if _, err := conn.Exec(ctx, "LISTEN "+RevocationChannel); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	s.cache.flush()
	s.cache.vouch(sent.Add(listenLease))
	s.listener.set(true, nil)
	s.logger.Info("revocation listener listening", "channel", RevocationChannel)
	return true, s.receive(ctx, conn, sent)
}

// receive applies notifications as they come and pings the connection
// listenHeartbeat after the last ping was sent.
func (s *Service) receive(ctx context.Context, conn *pgx.Conn, lastPing time.Time) error {
	for {
		waitCtx, cancel := context.WithDeadline(ctx, lastPing.Add(listenHeartbeat))
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		if n != nil {
			s.revoked(n.Payload)
		}
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && !pgconn.Timeout(err):
			return fmt.Errorf("wait: %w", err)
		case time.Now().Before(lastPing.Add(listenHeartbeat)):
			continue
		}
		lastPing = time.Now()
		if err := s.heartbeat(ctx, conn); err != nil {
			return err
		}
		s.cache.vouch(lastPing.Add(listenLease))
	}
}

// heartbeat pings conn and applies the notifications that arrived with the
// answer (pgx keeps them for WaitForNotification).
func (s *Service) heartbeat(ctx context.Context, conn *pgx.Conn) error {
	pingCtx, cancel := context.WithTimeout(ctx, listenPingTimeout)
	defer cancel()
	if err := conn.Ping(pingCtx); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	done, stop := context.WithCancel(ctx)
	stop()
	for {
		// With done ended, this returns only what is already received.
		n, _ := conn.WaitForNotification(done)
		if n == nil {
			return nil
		}
		s.revoked(n.Payload)
	}
}

// revoked applies one notification: a user's id drops that user's entries;
// anything else (no trigger of ours sends it) empties the cache, to be safe.
func (s *Service) revoked(payload string) {
	id, err := uuid.Parse(payload)
	if err != nil {
		s.logger.Warn("unreadable revocation: token cache emptied", "payload", payload)
		s.cache.flush()
		return
	}
	s.cache.invalidateUser(id)
}

// CheckRevocations is the health check of the revocation listener: healthy
// while it listens (and while it has not tried yet, at start-up), unhealthy
// while its connection is lost, when the token cache is bypassed.
func (s *Service) CheckRevocations(context.Context) (string, error) {
	if !s.cache.enabled() {
		return "Token cache disabled", nil
	}
	listening, since, err := s.listener.get()
	switch {
	case listening && s.cache.live():
		return "Listening for revocations", nil
	case listening:
		return "Listening for revocations; heartbeat late, token cache bypassed", nil
	case err == nil:
		return "Starting", nil
	}
	return "", errors.New("revocation listener down since " + since.UTC().Format(time.RFC3339) +
		": token cache bypassed")
}
