package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Polling for revocations, where LISTEN cannot work: behind a connection
// pooler in transaction mode, a LISTEN belongs to whichever server session
// ran it, which the pooler hands to other clients once the statement ends,
// so notifications are lost without an error. The triggers that notify
// also write a row of auth_revocations (migration 000005), which the poller
// reads every Settings.RevocationHeartbeat.
//
// The cache keeps its guarantee: a poll that returns has applied every
// revocation committed before it was sent, so, like a heartbeat of the
// listener, it lets the cache serve entries for revocationLease after it
// was sent. A revocation made on another instance is honoured here within
// a heartbeat plus a poll's round trip, at worst revocationLease (750 ms by
// default), against a few milliseconds with LISTEN; a poll that fails or is
// slow bypasses the cache as a lost listener does. The cost: one indexed
// query every 250 ms per instance, and one row per revocation, kept ten
// minutes.
//
// revocationsKept is how long the clean-up keeps the rows. A poller only
// needs those written since its previous poll; this is slack for a
// transaction that commits long after it wrote one.
const revocationsKept = 10 * time.Minute

// pollRevocationsSQL returns the users of the revocations written by
// transactions not older than $1, the horizon of the previous poll, and
// the horizon of this one: the oldest transaction still running now. xid8
// travels as text, which every query exec mode can send.
const pollRevocationsSQL = `
	SELECT pg_snapshot_xmin(pg_current_snapshot())::text,
	       ARRAY(SELECT DISTINCT user_id FROM auth_revocations WHERE xid >= $1::text::xid8)`

// horizonSQL is where the first poll of a connection starts: the cache is
// emptied then, so older revocations do not matter.
const horizonSQL = `SELECT pg_snapshot_xmin(pg_current_snapshot())::text`

// PollRevocations keeps a connection from connect polling auth_revocations
// until ctx ends, dropping from the token cache the users it names, with
// the same guarantee and health check as ListenRevocations: use it when
// there is no connection to PostgreSQL itself to LISTEN on. connect may
// reach a pooler in transaction mode (each poll is one statement).
func (s *Service) PollRevocations(ctx context.Context, connect Connector) error {
	return s.watchRevocations(ctx, connect, fmt.Sprintf("Polling for revocations every %v", s.settings.RevocationHeartbeat), s.poll)
}

// poll runs one connection: polls until an error. heard reports whether
// the first poll succeeded.
func (s *Service) poll(ctx context.Context, connect Connector) (heard bool, err error) {
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
	var horizon string
	if err := conn.QueryRow(ctx, horizonSQL).Scan(&horizon); err != nil {
		return false, fmt.Errorf("poll: %w", err)
	}
	// What was cached before this poll may have been revoked unheard.
	s.cache.flush()
	s.cache.vouch(sent.Add(s.settings.revocationLease()))
	s.listener.set(true, nil)
	s.logger.Info("revocation poller polling", "every", s.settings.RevocationHeartbeat)
	for {
		if !sleepUntil(ctx, sent.Add(s.settings.RevocationHeartbeat)) {
			return true, ctx.Err()
		}
		sent = time.Now()
		if horizon, err = s.pollOnce(ctx, conn, horizon); err != nil {
			return true, err
		}
		s.cache.vouch(sent.Add(s.settings.revocationLease()))
	}
}

// pollOnce reads the revocations since horizon, applies them, and returns
// the next horizon.
func (s *Service) pollOnce(ctx context.Context, conn *pgx.Conn, horizon string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, listenPingTimeout)
	defer cancel()
	var next string
	var users []uuid.UUID
	if err := conn.QueryRow(ctx, pollRevocationsSQL, horizon).Scan(&next, &users); err != nil {
		return "", fmt.Errorf("poll: %w", err)
	}
	for _, id := range users {
		s.cache.invalidateUser(id)
	}
	return next, nil
}

// sweepRevocations deletes the rows no poller needs any more.
func sweepRevocations(ctx context.Context, db querier) (int64, error) {
	tag, err := db.Exec(ctx, `DELETE FROM auth_revocations WHERE created_at < clock_timestamp() - $1::bigint * interval '1 microsecond'`,
		revocationsKept.Microseconds())
	return tag.RowsAffected(), err
}

// sleepUntil waits until t or until ctx ends, and reports whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
