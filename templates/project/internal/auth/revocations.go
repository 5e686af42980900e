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

// The listener's heartbeat. Every Settings.RevocationHeartbeat without a
// notification the listener pings its connection; a ping that returns
// proves that every notification committed before it was sent has been
// applied, and lets the cache serve entries for revocationLease after the
// ping was sent. So a connection that hangs without an error stops the
// cache within revocationLease (750 ms by default, under the one second
// the API allows a revocation to take), and a ping slower than that only
// bypasses the cache until it returns. A ping that takes listenPingTimeout
// counts as a lost connection.
const listenPingTimeout = 5 * time.Second

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
	// healthy is the check's message while it listens (or polls).
	healthy string
}

func (st *listenerState) setHealthy(msg string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.healthy = msg
}

func (st *listenerState) set(listening bool, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.listening != listening || st.since.IsZero() {
		st.since = time.Now()
	}
	st.listening, st.err = listening, err
}

func (st *listenerState) get() (listening bool, since time.Time, healthy string, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.listening, st.since, st.healthy, st.err
}

// ListenRevocations keeps a connection from connect listening on
// RevocationChannel until ctx ends, and drops from the token cache what each
// notification names. Until it listens, and whenever its connection is lost
// or late, the cache is bypassed (every request reads the database); it is
// emptied when the connection is lost and again when it is back, so nothing
// cached before can outlive a revocation the listener missed. It reconnects
// with a growing pause (at most 5 s). With the cache disabled it returns at
// once. connect must reach PostgreSQL itself (see Connector); behind a
// transaction pooler with no direct URL, PollRevocations takes its place.
func (s *Service) ListenRevocations(ctx context.Context, connect Connector) error {
	return s.watchRevocations(ctx, connect, "Listening for revocations", s.listen)
}

// watchRevocations runs one connection after another with watch (listen or
// poll) until ctx ends; healthy is what the health check says meanwhile.
func (s *Service) watchRevocations(ctx context.Context, connect Connector, healthy string,
	watch func(context.Context, Connector) (bool, error)) error {
	if !s.cache.enabled() {
		return nil
	}
	s.listener.setHealthy(healthy)
	pause := 100 * time.Millisecond
	for {
		heard, err := watch(ctx, connect)
		s.cache.flush()
		if ctx.Err() != nil {
			return nil
		}
		s.listener.set(false, err)
		if errors.Is(err, errSharedSession) {
			s.logger.Error("revocation listener is behind a transaction pooler: token cache bypassed", "error", err)
		} else {
			s.logger.Warn("revocation listener lost its connection: token cache bypassed until it is back", "error", err)
		}
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
	backend, err := s.ownSession(ctx, conn)
	if err != nil {
		return false, err
	}
	s.cache.flush()
	s.cache.vouch(sent.Add(s.settings.revocationLease()))
	s.listener.set(true, nil)
	s.logger.Info("revocation listener listening", "channel", RevocationChannel)
	return true, s.receive(ctx, conn, sent, backend)
}

// receive applies notifications as they come and pings the connection a
// heartbeat after the last ping was sent.
func (s *Service) receive(ctx context.Context, conn *pgx.Conn, lastPing time.Time, backend int32) error {
	every := s.settings.RevocationHeartbeat
	for {
		waitCtx, cancel := context.WithDeadline(ctx, lastPing.Add(every))
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
		case time.Now().Before(lastPing.Add(every)):
			continue
		}
		lastPing = time.Now()
		if err := s.heartbeat(ctx, conn, backend); err != nil {
			return err
		}
		s.cache.vouch(lastPing.Add(s.settings.revocationLease()))
	}
}

// heartbeat pings conn, checking that its backend is still the one that
// listens, and applies the notifications that arrived with the answer (pgx
// keeps them for WaitForNotification).
func (s *Service) heartbeat(ctx context.Context, conn *pgx.Conn, backend int32) error {
	pingCtx, cancel := context.WithTimeout(ctx, listenPingTimeout)
	defer cancel()
	pid, err := backendPID(pingCtx, conn)
	switch {
	case err != nil:
		return fmt.Errorf("heartbeat: %w", err)
	case pid != backend:
		return fmt.Errorf("heartbeat: %w", errSharedSession)
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

// errSharedSession: the listener's server session serves other clients.
var errSharedSession = errors.New("the listener's server session also serves the pool: DATABASE_URL goes through " +
	"a pooler in transaction mode, where LISTEN misses notifications; set DATABASE_POOLER=transaction " +
	"(and DATABASE_DIRECT_URL to listen on PostgreSQL itself)")

// ownSession checks that conn keeps a server session of its own, as LISTEN
// needs, and returns its backend's pid: a pooled connection of the service
// answered by the same backend proves that a pooler in transaction mode
// hands that session to other clients between statements (a direct
// connection never shares its backend), and so does a backend that changes
// between heartbeats. Behind such a pooler configured as none, this makes
// the listener fail, and the cache stay bypassed, rather than miss
// revocations without an error. The check of the pool is made once per
// connection, not per heartbeat: a busy pool must not delay heartbeats.
func (s *Service) ownSession(ctx context.Context, conn *pgx.Conn) (int32, error) {
	mine, err := backendPID(ctx, conn)
	if err != nil {
		return 0, err
	}
	var pooled int32
	if err := s.db.QueryRow(ctx, "SELECT pg_backend_pid()", pgx.QueryExecModeSimpleProtocol).Scan(&pooled); err != nil {
		return 0, fmt.Errorf("pool backend: %w", err)
	}
	if mine == pooled {
		return 0, errSharedSession
	}
	return mine, nil
}

// backendPID is the pid of conn's server process, asked in the simple
// protocol, which any pooler serves.
func backendPID(ctx context.Context, conn *pgx.Conn) (int32, error) {
	var pid int32
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()", pgx.QueryExecModeSimpleProtocol).Scan(&pid); err != nil {
		return 0, fmt.Errorf("backend: %w", err)
	}
	return pid, nil
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
	listening, since, healthy, err := s.listener.get()
	switch {
	case listening && s.cache.live():
		return healthy, nil
	case listening:
		return healthy + "; heartbeat late, token cache bypassed", nil
	case err == nil:
		return "Starting", nil
	}
	return "", errors.New("revocation listener down since " + since.UTC().Format(time.RFC3339) +
		": token cache bypassed")
}
