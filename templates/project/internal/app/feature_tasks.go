package app

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/starter-go/starter/runtime/breaker"
	"github.com/starter-go/starter/templates/project/internal/config"
	"github.com/starter-go/starter/templates/project/internal/database"
	"github.com/starter-go/starter/templates/project/internal/health"
	"github.com/starter-go/starter/templates/project/internal/httpapi"
	"github.com/starter-go/starter/templates/project/internal/tasks"
)

// tasksFeature is the task queue: its API, and its worker when this
// process runs one (tasks.worker).
type tasksFeature struct{}

func (tasksFeature) wire(w *wiring) error {
	quota := tasks.Quota{PerMinute: w.cfg.Tasks.QuotaPerMinute, Waiting: w.cfg.Tasks.QuotaWaiting}
	w.deps.Routes = append(w.deps.Routes, httpapi.TaskRoutes(tasks.NewStore(w.pool), quota))
	w.tables = append(w.tables, "tasks", "task_types", "task_deletions")
	if !w.cfg.Tasks.Worker {
		return nil
	}
	svc, err := NewTaskService(w.pool, w.cfg, w.logger, w.metrics, w.tracing.Tracer())
	if err != nil {
		return err
	}
	w.checks.Register("worker", health.Detailed, svc.Worker.Check)
	w.background = append(w.background, svc.Worker.Run)
	return nil
}

// NewTaskService builds the task worker of the configuration with its
// built-in handlers, its metrics registered on reg, its attempts traced by
// tracer (nil: not traced); serve and the worker command run the same one.
func NewTaskService(pool *pgxpool.Pool, cfg *config.Config, logger *slog.Logger, reg prometheus.Registerer, tracer trace.Tracer) (*tasks.Service, error) {
	s := taskSettings(cfg)
	s.Tracer = tracer
	return tasks.NewService(pool, s, taskBuiltins(cfg), logger, reg)
}

// taskSettings are the worker's settings from the configuration; it LISTENs
// for new tasks on a connection of its own when there is a session URL,
// else polls only (see directConnector).
func taskSettings(cfg *config.Config) tasks.Settings {
	t := cfg.Tasks
	listen, listening := directConnector(database.EndpointsOf(cfg), "", "tasks")
	return tasks.Settings{
		Listen:         listen,
		PollOnly:       !listening,
		Concurrency:    t.Concurrency,
		PollInterval:   t.PollInterval,
		Lease:          t.Lease,
		HandlerTimeout: t.HandlerTimeout,
		ShutdownGrace:  t.ShutdownGrace,
		Breaker: breaker.Settings{
			FailureThreshold: t.BreakerFailureThreshold,
			SuccessThreshold: t.BreakerSuccessThreshold,
			Timeout:          t.BreakerTimeout,
		},
	}
}

func taskBuiltins(cfg *config.Config) tasks.Builtins {
	t := cfg.Tasks
	return tasks.Builtins{
		WebhookTimeout:      t.WebhookTimeout,
		WebhookAllowPrivate: t.WebhookAllowPrivate,
		FileRoot:            t.FileCleanupRoot,
	}
}
