package tasks

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

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

// NewService builds a worker running the built-in handlers with the
// settings of cfg, its metrics registered on reg, its attempts traced by
// tracer (nil: not traced).
func NewService(pool *pgxpool.Pool, cfg config.Tasks, log *slog.Logger, reg prometheus.Registerer, tracer trace.Tracer) (*Service, error) {
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
	s.Tracer = tracer
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
