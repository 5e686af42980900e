package chaos

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"

	"example.com/demo/internal/platform/pgembed"
)

// dbControl is the PostgreSQL of a run and the way to take it away.
type dbControl interface {
	// URL is what the service's processes connect to.
	URL() string
	// AdminURL is the suite's own way in, for its records; it is never cut.
	AdminURL() string
	// Down takes the database away from the service; Up brings it back.
	Down(ctx context.Context) error
	Up(ctx context.Context) error
	// Close ends what the run started.
	Close(ctx context.Context) error
	// Describe says what the database is, for the report.
	Describe() string
}

// chaosDBName is the database a throw-away cluster creates for the run.
const chaosDBName = "chaos"

// embedded is a throw-away PostgreSQL of the run's own, stopped hard (an
// immediate shutdown, as in a crash) and started again.
type embedded struct {
	srv *pgembed.Server
	log *os.File
}

// startEmbedded starts the cluster. Its tests' tuning stays but for one
// setting: synchronous_commit goes back on, because with it off an immediate
// stop loses the last transactions a client was told were committed, and the
// run would count as lost tasks what is in fact the cluster's tuning.
// Its log goes to logPath.
func startEmbedded(ctx context.Context, logPath string) (*embedded, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("chaos: %w", err)
	}
	srv, err := pgembed.Start(ctx, pgembed.Options{
		Settings: map[string]string{"synchronous_commit": "on"},
		Log:      log,
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("chaos: start PostgreSQL (or set DATABASE_URL): %w", err), log.Close())
	}
	if err := srv.CreateDatabase(ctx, chaosDBName); err != nil {
		return nil, errors.Join(err, srv.Stop(context.WithoutCancel(ctx)), log.Close())
	}
	return &embedded{srv: srv, log: log}, nil
}

func (e *embedded) URL() string                    { return e.srv.DSN(chaosDBName) }
func (e *embedded) AdminURL() string               { return e.srv.DSN(chaosDBName) }
func (e *embedded) Down(ctx context.Context) error { return e.srv.Halt(ctx) }
func (e *embedded) Up(ctx context.Context) error   { return e.srv.Resume(ctx) }
func (e *embedded) Close(ctx context.Context) error {
	return errors.Join(e.srv.Stop(ctx), e.log.Close())
}
func (e *embedded) Describe() string {
	return fmt.Sprintf("throw-away PostgreSQL on 127.0.0.1:%d (stopped with an immediate shutdown and started again)", e.srv.Port)
}

// external is a database the run does not own (DATABASE_URL, a staging
// one): it cannot be stopped, so the service reaches it through a proxy of
// the run's, which cuts every connection and refuses new ones while it is "down".
type external struct {
	url   string
	proxy *proxy
}

func startExternal(dsn string) (*external, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		return nil, errors.New("chaos: DATABASE_URL must be a postgres:// URL with a host")
	}
	p, err := newProxy(u.Host)
	if err != nil {
		return nil, err
	}
	return &external{url: dsn, proxy: p}, nil
}

// URL is DATABASE_URL with the proxy's address in place of the database's.
func (x *external) URL() string {
	u, _ := url.Parse(x.url)
	u.Host = x.proxy.Addr()
	return u.String()
}

func (x *external) AdminURL() string { return x.url }

func (x *external) Down(context.Context) error {
	x.proxy.Cut()
	return nil
}

func (x *external) Up(context.Context) error {
	x.proxy.Restore()
	return nil
}

func (x *external) Close(context.Context) error {
	x.proxy.Close()
	return nil
}

func (x *external) Describe() string {
	u, _ := url.Parse(x.url)
	return fmt.Sprintf("DATABASE_URL %s%s through a proxy of the run (an outage cuts every connection and refuses new ones)", u.Host, u.Path)
}
