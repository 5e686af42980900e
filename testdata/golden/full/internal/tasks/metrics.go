package tasks

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/demo/internal/platform/breaker"
)

// Metrics are the worker's Prometheus series. A nil *Metrics records nothing.
type Metrics struct {
	processed    *prometheus.CounterVec
	breakerState *prometheus.GaugeVec
}

// NewMetrics registers tasks_processed_total{type,outcome} and
// task_breaker_state{type} on reg. Registering twice on one registry returns
// the series already there, so a process may run several workers.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	processed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tasks_processed_total",
		Help: "Task attempts by type and outcome (completed, retried, failed, deferred, released).",
	}, []string{"type", "outcome"})
	state := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "task_breaker_state",
		Help: "Circuit breaker state per task type: 0 closed, 1 half-open, 2 open.",
	}, []string{"type"})
	var err error
	if processed, err = register(reg, processed); err != nil {
		return nil, err
	}
	if state, err = register(reg, state); err != nil {
		return nil, err
	}
	return &Metrics{processed: processed, breakerState: state}, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

// Metric outcomes of an attempt.
const (
	metricCompleted = "completed"
	metricRetried   = "retried"
	metricFailed    = "failed"
	metricDeferred  = "deferred"
	metricReleased  = "released"
)

func (m *Metrics) count(taskType, outcome string) {
	if m != nil {
		m.processed.WithLabelValues(taskType, outcome).Inc()
	}
}

func (m *Metrics) setBreaker(taskType string, s breaker.State) {
	if m != nil {
		m.breakerState.WithLabelValues(taskType).Set(float64(s))
	}
}
