package pgtest

import (
	"context"
	"net/url"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
)

// A run behind a PgBouncer (RunWith with Pooler) holds server connections to
// every test database in the pooler. Dropping a database with FORCE, or
// terminating its backends, makes each of them send an error to PgBouncer;
// PgBouncer 1.18–1.20 exits ("server_proto: server in bad state: 11") when
// that error reaches a server connection whose client's cancel request is
// still in flight, as happens when a test's service stops in the middle of a
// query. So behind a pooler a database is dropped the polite way: the
// pooler is asked to close its server connections itself (RECONNECT on its
// admin console), and the database is dropped once no backend is left.

// releaseWait bounds how long a drop waits for the pooler to close its
// server connections, which it does within a second when they are idle and once released when not.
const releaseWait = 10 * time.Second

var plainWord = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// releasedByPooler asks the run's pooler to close its server connections to
// database name and waits until the server has no backend on it; false when
// the pooler cannot be asked or the backends are still there after
// releaseWait (the caller then drops by force).
func (a *admin) releasedByPooler(ctx context.Context, conn *pgx.Conn, name string) bool {
	// The console's parser takes plain lowercase words: the names of
	// databases this package makes are such words.
	if !plainWord.MatchString(name) {
		return false
	}
	if err := a.askPooler(ctx, "RECONNECT "+name); err != nil {
		return false
	}
	// The wait is bounded by a deadline checked between queries, not by a
	// context: a query cut by a context would close conn, which the caller
	// still drops with.
	deadline := time.Now().Add(releaseWait)
	for {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", name).Scan(&n); err != nil {
			return false
		}
		if n == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// askPooler runs one command on the pooler's admin console (the database
// named pgbouncer), which takes the simple query protocol only.
func (a *admin) askPooler(ctx context.Context, command string) error {
	u, err := url.Parse(a.pooler)
	if err != nil {
		return err
	}
	u.Path = "/pgbouncer"
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return err
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	ctx, cancel := context.WithTimeout(ctx, releaseWait)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, command)
	return err
}
