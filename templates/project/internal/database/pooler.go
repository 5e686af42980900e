package database

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/starter-go/starter/templates/project/internal/config"
)

// Endpoints says where each kind of connection of the service goes. Most
// work takes a pooled connection for one transaction at a time, which any
// pooler serves. Three things need a server session for longer, which a
// pooler in transaction mode cannot give: LISTEN (it hears only while its
// session lasts), session advisory locks (released only by their session)
// and named prepared statements (pgx's default query exec mode).
type Endpoints struct {
	// URL is DATABASE_URL, the pool's: PostgreSQL itself, or a pooler.
	URL string
	// DirectURL reaches PostgreSQL itself; empty when URL does, or when
	// there is only a transaction pooler.
	DirectURL string
	// TransactionPooler: URL goes through a pooler in transaction mode.
	TransactionPooler bool
	// QueryExecMode is the configured pgx mode name; empty: see ExecMode.
	QueryExecMode string
}

// EndpointsOf reads the endpoints from the configuration.
func EndpointsOf(cfg *config.Config) Endpoints {
	return Endpoints{
		URL:               cfg.DatabaseURL,
		DirectURL:         cfg.Database.DirectURL,
		TransactionPooler: cfg.Database.TransactionPooler(),
		QueryExecMode:     cfg.Database.QueryExecMode,
	}
}

// Session is the URL of connections that keep one server session for as
// long as they are open (LISTEN): DirectURL, else URL when it is not a
// transaction pooler. ok is false when there is none: then whoever needs
// one polls instead.
func (e Endpoints) Session() (url string, ok bool) {
	switch {
	case e.DirectURL != "":
		return e.DirectURL, true
	case !e.TransactionPooler:
		return e.URL, true
	}
	return "", false
}

// Migrations is the URL migrations run on: DirectURL when there is one (a
// long migration then holds no pooled connection, and its lock is a plain
// one), else URL. Migrator takes its lock in a way a pooler serves too.
func (e Endpoints) Migrations() string {
	if e.DirectURL != "" {
		return e.DirectURL
	}
	return e.URL
}

// SessionConnector opens the connections that cannot come from the pool,
// named applicationName: on the session URL when there is one (listening
// is true), else on URL with the pool's options (listening is false: its
// user must poll on it rather than LISTEN). override, when not empty,
// replaces the URL but not the choice (tests put a proxy there).
func (e Endpoints) SessionConnector(applicationName, override string) (connect func(context.Context) (*pgx.Conn, error), listening bool) {
	url, listening := e.Session()
	var opts []PoolOption
	if !listening {
		url, opts = e.URL, e.PoolOptions()
	}
	if override != "" {
		url = override
	}
	return func(ctx context.Context) (*pgx.Conn, error) {
		return Connect(ctx, url, applicationName, opts...)
	}, listening
}

// PoolOptions are the options of the pool on URL: the query exec mode when
// it is not what the URL or pgx would pick.
func (e Endpoints) PoolOptions() []PoolOption {
	mode, fromURL := e.execMode()
	if fromURL || (mode == "cache_statement" && e.QueryExecMode == "") {
		return nil
	}
	return []PoolOption{WithQueryExecMode(mode)}
}

// execMode is the query exec mode of the pool: the configured one, else the
// URL's default_query_exec_mode (fromURL), else exec behind a transaction
// pooler and pgx's default, cache_statement, otherwise.
func (e Endpoints) execMode() (mode string, fromURL bool) {
	switch {
	case e.QueryExecMode != "":
		return e.QueryExecMode, false
	case containsParam(e.URL, "default_query_exec_mode"):
		return urlParam(e.URL, "default_query_exec_mode"), true
	case e.TransactionPooler:
		return "exec", false
	}
	return "cache_statement", false
}

// LogAttrs describe the endpoints for the start-up log, without credentials.
func (e Endpoints) LogAttrs() []any {
	pooler := config.PoolerNone
	if e.TransactionPooler {
		pooler = config.PoolerTransaction
	}
	mode, _ := e.execMode()
	listen := "LISTEN"
	if _, ok := e.Session(); !ok {
		listen = "polling"
	}
	return []any{
		slog.String("pooler", pooler),
		slog.Bool("direct_url", e.DirectURL != ""),
		slog.String("query_exec_mode", mode),
		slog.String("listen", listen),
	}
}

// PoolOption adjusts a pool made by NewPool or Open.
type PoolOption func(*pgxpool.Config) error

// WithConfig adjusts the pool's settings with fn, which cannot fail (a
// tracer…).
func WithConfig(fn func(*pgxpool.Config)) PoolOption {
	return func(cfg *pgxpool.Config) error {
		fn(cfg)
		return nil
	}
}

// WithQueryExecMode sets the pool's query exec mode by its pgx name (exec,
// cache_statement…). It wins over the URL's default_query_exec_mode.
func WithQueryExecMode(name string) PoolOption {
	return func(cfg *pgxpool.Config) error {
		mode, err := ParseQueryExecMode(name)
		if err != nil {
			return err
		}
		cfg.ConnConfig.DefaultQueryExecMode = mode
		return nil
	}
}

// queryExecModes are pgx's modes by the names of its default_query_exec_mode.
var queryExecModes = map[string]pgx.QueryExecMode{ //nolint:gochecknoglobals // a table that is never written
	"cache_statement": pgx.QueryExecModeCacheStatement,
	"cache_describe":  pgx.QueryExecModeCacheDescribe,
	"describe_exec":   pgx.QueryExecModeDescribeExec,
	"exec":            pgx.QueryExecModeExec,
	"simple_protocol": pgx.QueryExecModeSimpleProtocol,
}

// ParseQueryExecMode returns the pgx mode of a default_query_exec_mode name.
func ParseQueryExecMode(name string) (pgx.QueryExecMode, error) {
	if m, ok := queryExecModes[name]; ok {
		return m, nil
	}
	return 0, fmt.Errorf("database: unknown query exec mode %q", name)
}

// registerTypes teaches a connection the Go types the service passes as
// query arguments that pgx does not know by itself. In the modes that ask
// the server for the parameter types (cache_statement, cache_describe,
// describe_exec) pgx encodes a uuid.UUID or a []uuid.UUID by what the
// server says; in exec and simple_protocol it must pick the PostgreSQL type
// from the Go type alone, and without this a []uuid.UUID cannot be sent.
// The task queue sends its batches of ids as [][16]byte, which pgx encodes
// in binary without going through each id's text form.
func registerTypes(conn *pgx.Conn) {
	m := conn.TypeMap()
	m.RegisterDefaultPgType(uuid.UUID{}, "uuid")
	m.RegisterDefaultPgType([]uuid.UUID{}, "_uuid")
	m.RegisterDefaultPgType([][16]byte{}, "_uuid")
}
