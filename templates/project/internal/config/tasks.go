package config

import "time"

// Tasks configures the background task worker (the `tasks` feature).
// Environment variables are TASKS_<FIELD>, e.g. TASKS_CONCURRENCY.
type Tasks struct {
	// Worker runs the task worker inside `serve` (default true; `serve
	// --no-worker` turns it off, e.g. when workers run as their own processes).
	Worker bool `mapstructure:"worker"`
	// Concurrency is how many tasks one worker runs at once (default 10).
	Concurrency int `mapstructure:"concurrency"`
	// PollInterval is how often the worker looks for due tasks when no
	// notification arrives: scheduled tasks and retries become due this way
	// (default 1s; test 50ms).
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// Lease is how long a claimed task stays with its worker without a
	// heartbeat; a task whose worker died is taken back after it (default 30s).
	Lease time.Duration `mapstructure:"lease"`
	// HandlerTimeout bounds one attempt of one task (default 5m).
	HandlerTimeout time.Duration `mapstructure:"handler_timeout"`
	// ShutdownGrace is how long running tasks may finish after a stop signal
	// before they are released back to the queue (default 10s).
	ShutdownGrace time.Duration `mapstructure:"shutdown_grace"`
	// BreakerFailureThreshold is the consecutive failures of one task type that
	// open its circuit breaker (development 10, test 2, production 5).
	BreakerFailureThreshold int `mapstructure:"breaker_failure_threshold"`
	// BreakerSuccessThreshold is the successful trials that close it again
	// (development and test 1, production 3).
	BreakerSuccessThreshold int `mapstructure:"breaker_success_threshold"`
	// BreakerTimeout is how long an open breaker defers its type's tasks
	// before a trial (development 30s, test 1s, production 60s).
	BreakerTimeout time.Duration `mapstructure:"breaker_timeout"`
	// FileCleanupRoot is the only directory the file_cleanup task may delete
	// under (default .data/files). Empty disables file_cleanup.
	FileCleanupRoot string `mapstructure:"file_cleanup_root"`
	// WebhookTimeout bounds one HTTP POST of the webhook task (default 10s).
	WebhookTimeout time.Duration `mapstructure:"webhook_timeout"`
	// WebhookAllowPrivate lets webhooks reach loopback, private and reserved
	// addresses, and keeps the start of each reply in the task's result
	// (default true in development and test; false in production, where a
	// user-supplied URL must not reach the internal network, nor its owner
	// read what a host only the worker reaches answers).
	WebhookAllowPrivate bool `mapstructure:"webhook_allow_private"`
	// QuotaPerMinute caps the tasks one user creates through the API in any
	// minute; over it POST /tasks answers 429 (default 120; 0: no cap).
	QuotaPerMinute int `mapstructure:"quota_per_minute"`
	// QuotaWaiting caps one user's tasks pending or retrying at once; over
	// it POST /tasks answers 429 (default 1000; 0: no cap).
	QuotaWaiting int `mapstructure:"quota_waiting"`
}

func tasksDefaults(env string) Tasks {
	t := Tasks{
		Worker:                  true,
		Concurrency:             10,
		PollInterval:            time.Second,
		Lease:                   30 * time.Second,
		HandlerTimeout:          5 * time.Minute,
		ShutdownGrace:           10 * time.Second,
		BreakerFailureThreshold: 10,
		BreakerSuccessThreshold: 1,
		BreakerTimeout:          30 * time.Second,
		FileCleanupRoot:         ".data/files",
		WebhookTimeout:          10 * time.Second,
		WebhookAllowPrivate:     true,
		QuotaPerMinute:          120,
		QuotaWaiting:            1000,
	}
	switch env {
	case EnvTest:
		t.PollInterval = 50 * time.Millisecond
		t.BreakerFailureThreshold = 2
		t.BreakerTimeout = time.Second
	case EnvProduction:
		t.BreakerFailureThreshold = 5
		t.BreakerSuccessThreshold = 3
		t.BreakerTimeout = 60 * time.Second
		t.WebhookAllowPrivate = false
	}
	return t
}

func (t *Tasks) validate() error {
	switch {
	case t.Concurrency < 1 || t.Concurrency > 10000:
		return Invalid("tasks.concurrency", "must be 1–10000", t.Concurrency)
	case t.PollInterval < time.Millisecond:
		return Invalid("tasks.poll_interval", "must be at least 1ms", t.PollInterval)
	case t.Lease < 100*time.Millisecond:
		return Invalid("tasks.lease", "must be at least 100ms", t.Lease)
	case t.HandlerTimeout <= 0:
		return Invalid("tasks.handler_timeout", "must be positive", t.HandlerTimeout)
	case t.ShutdownGrace < 0:
		return Invalid("tasks.shutdown_grace", "must not be negative", t.ShutdownGrace)
	case t.BreakerFailureThreshold < 1:
		return Invalid("tasks.breaker_failure_threshold", "must be at least 1", t.BreakerFailureThreshold)
	case t.BreakerSuccessThreshold < 1:
		return Invalid("tasks.breaker_success_threshold", "must be at least 1", t.BreakerSuccessThreshold)
	case t.BreakerTimeout <= 0:
		return Invalid("tasks.breaker_timeout", "must be positive", t.BreakerTimeout)
	case t.WebhookTimeout <= 0:
		return Invalid("tasks.webhook_timeout", "must be positive", t.WebhookTimeout)
	case t.QuotaPerMinute < 0:
		return Invalid("tasks.quota_per_minute", "must not be negative (0: no cap)", t.QuotaPerMinute)
	case t.QuotaWaiting < 0:
		return Invalid("tasks.quota_waiting", "must not be negative (0: no cap)", t.QuotaWaiting)
	}
	return nil
}
