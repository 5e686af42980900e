package tasks

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"example.com/demo/internal/config"
	"example.com/demo/internal/platform/breaker"
)

// Service is the worker of the service with its built-in handlers, built
// from the configuration.
type Service struct {
	Worker *Worker
	// Outbox holds the email sent by the default mailer.
	Outbox *Outbox
}

// ServiceOption adjusts the worker's settings beyond the configuration.
type ServiceOption func(*Settings)

// ListenWith sets where the worker LISTENs for new tasks (Settings.Listen),
// or, when listening is false, that it polls only (Settings.PollOnly).
func ListenWith(connect func(context.Context) (*pgx.Conn, error), listening bool) ServiceOption {
	return func(s *Settings) { s.Listen, s.PollOnly = connect, !listening }
}

// NewService builds a worker running the built-in handlers with the
// settings of cfg, its metrics registered on reg.
func NewService(pool *pgxpool.Pool, cfg config.Tasks, log *slog.Logger, reg prometheus.Registerer, opts ...ServiceOption) (*Service, error) {
	metrics, err := NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	outbox := NewOutbox(log, 100)
	r := NewRegistry()
	RegisterBuiltins(r, Builtins{
		Mailer:              outbox,
		WebhookTimeout:      cfg.WebhookTimeout,
		WebhookAllowPrivate: cfg.WebhookAllowPrivate,
		FileRoot:            cfg.FileCleanupRoot,
		Store:               NewStore(pool),
		Logger:              log,
	})
	s := SettingsFrom(cfg)
	for _, opt := range opts {
		opt(&s)
	}
	w := NewWorker(pool, r, s, log, metrics)
	return &Service{Worker: w, Outbox: outbox}, nil
}

// SettingsFrom maps the configuration to worker settings.
func SettingsFrom(cfg config.Tasks) Settings {
	return Settings{
		Concurrency:    cfg.Concurrency,
		PollInterval:   cfg.PollInterval,
		Lease:          cfg.Lease,
		HandlerTimeout: cfg.HandlerTimeout,
		ShutdownGrace:  cfg.ShutdownGrace,
		Breaker: breaker.Settings{
			FailureThreshold: cfg.BreakerFailureThreshold,
			SuccessThreshold: cfg.BreakerSuccessThreshold,
			Timeout:          cfg.BreakerTimeout,
		},
	}
}
