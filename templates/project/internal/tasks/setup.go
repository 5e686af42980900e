package tasks

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Service is the worker of the service with its built-in handlers.
type Service struct {
	Worker *Worker
	// Outbox holds the email sent by the default mailer.
	Outbox *Outbox
}

// NewService builds a worker with settings s running the built-in handlers
// and the service's own (own_types.go) with b, its metrics registered on
// reg. The handlers mail to an Outbox and report on the tasks of pool; b's
// Mailer, Store and Logger are set here.
func NewService(pool *pgxpool.Pool, s Settings, b Builtins, log *slog.Logger, reg prometheus.Registerer) (*Service, error) {
	metrics, err := NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	outbox := NewOutbox(log, 100)
	b.Mailer, b.Store, b.Logger = outbox, NewStore(pool), log
	r := NewRegistry()
	RegisterBuiltins(r, b)
	RegisterOwn(r, b)
	w := NewWorker(pool, r, s, log, metrics)
	return &Service{Worker: w, Outbox: outbox}, nil
}
