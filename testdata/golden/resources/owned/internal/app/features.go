package app

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"example.com/demo/internal/config"
	"example.com/demo/internal/console"
	"example.com/demo/internal/health"
	"example.com/demo/internal/httpapi"
	"example.com/demo/internal/telemetry"
)

// features lists the optional parts of the service, each wired by a file of
// its own (feature_auth.go, feature_tasks.go…), in the order New wires them.
// This list is the one place a feature is registered: a new one is a file
// and a line here.
func features() []feature {
	return []feature{
		authFeature{},
		consoleFeature{},
		// Resources go below this line, one line each.
		categoriesFeature{},
		productsFeature{},
	}
}

// A feature is an optional part of the service. wire builds it on the core
// parts in w and adds to w what the service needs of it.
type feature interface {
	wire(w *wiring) error
}

// A configChecker is a feature whose settings follow rules of its own
// package, which config does not import (CheckConfig runs them).
type configChecker interface {
	checkConfig(cfg *config.Config) error
}

// wiring is what New builds the features on, and collects what they add.
type wiring struct {
	// The core parts, ready before any feature.
	cfg     *config.Config
	logger  *slog.Logger
	pool    *pgxpool.Pool
	metrics *prometheus.Registry
	// direct opens a connection of its own, outside the pool, for what
	// holds its server session (a LISTEN): see directConnector. When
	// listening is false it reaches a transaction pooler (there is no
	// direct URL), and its users poll on it instead of listening.
	direct    func(ctx context.Context) (*pgx.Conn, error)
	listening bool
	// checks take the features' health checks.
	checks *health.Registry
	// deps are the HTTP handlers' dependencies: a feature sets its own.
	deps *httpapi.Deps
	// console is the operator console when it is on (consoleFeature),
	// for later features to add their pages to.
	console *console.Console
	// tracing traces what the features do (nil: tracing is off).
	tracing *telemetry.Tracing

	// tables must exist for the startup probe to pass (schema check).
	tables []string
	// background jobs run beside the HTTP server once the start-up steps
	// are done, until shutdown.
	background []func(ctx context.Context) error
	// startup steps run in order after the migrations; they need the
	// database, and are retried while it cannot be reached.
	startup []func(ctx context.Context) error
}
