package tasks

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"example.com/demo/internal/auth"
	"example.com/demo/internal/platform/retry"
)

// The built-in task types.
const (
	TypeEmail            = "email"
	TypeWebhook          = "webhook"
	TypeDataProcessing   = "data_processing"
	TypeFileCleanup      = "file_cleanup"
	TypeReportGeneration = "report_generation"
	TypeDelay            = "delay_task"
)

// Builtins is what the built-in handlers need. The zero value of each field
// has the default documented on it.
type Builtins struct {
	// Mailer sends email tasks. Default: an Outbox that logs and keeps them.
	Mailer Mailer
	// HTTPClient posts webhooks. Default: a client with WebhookTimeout per
	// request whose dialer refuses private addresses unless WebhookAllowPrivate.
	HTTPClient *http.Client
	// WebhookTimeout bounds one POST. Default 10s.
	WebhookTimeout time.Duration
	// WebhookAllowPrivate lets the default client reach loopback, private
	// and reserved addresses, and keeps the first bytes of each reply in the
	// task's result (otherwise only its status and size: the reply of a host
	// that only the worker can reach is not for the task's owner to read).
	// Default false: only public unicast addresses, no reply body.
	WebhookAllowPrivate bool
	// WebhookRetry retries a POST within one attempt (a connection reset, a
	// 503), before the task's own retry strategy takes over. Default: 3 tries,
	// exponential from 100ms.
	WebhookRetry retry.Policy
	// FileRoot is the only directory file_cleanup deletes under. Default
	// empty: file_cleanup fails every task.
	FileRoot string
	// Store feeds report_generation. Required.
	Store *Store
	// Logger logs what the handlers do. Default: slog.Default().
	Logger *slog.Logger
}

// RegisterBuiltins adds the six built-in handlers to r.
func RegisterBuiltins(r *Registry, b Builtins) {
	b = b.withDefaults()
	r.Register(TypeEmail, "Send an email: {to, subject, body}", emailHandler{b.Mailer})
	r.Register(TypeWebhook, "POST JSON to a URL: {url, body?}", webhookHandler{client: b.HTTPClient, policy: b.WebhookRetry, showReply: b.WebhookAllowPrivate})
	r.Register(TypeDataProcessing, "Process data: {data, operation?}; operation count or sum (data an array) or process (the default)",
		HandlerFunc(processData))
	r.Register(TypeFileCleanup, "Delete old files under the configured root (admins only): {path?, older_than_hours, pattern?, dry_run?}",
		cleanupHandler{root: b.FileRoot, log: b.Logger}, MinRole(auth.RoleAdmin))
	r.Register(TypeReportGeneration, "Report on recent tasks its owner can see: {period_hours?, task_type?}", reportHandler{b.Store})
	r.Register(TypeDelay, "Wait, then succeed or fail on purpose: {delay_seconds (0–3600, fractions kept), task_id?, "+
		"test_scenario?, deadline? (RFC 3339), fail_attempts? (attempts 1..N fail)}", delayHandler{})
}

// withDefaults fills the zero fields of b with the defaults documented on
// them.
func (b Builtins) withDefaults() Builtins {
	if b.Logger == nil {
		b.Logger = slog.Default()
	}
	if b.Mailer == nil {
		b.Mailer = NewOutbox(b.Logger, 100)
	}
	if b.WebhookTimeout <= 0 {
		b.WebhookTimeout = 10 * time.Second
	}
	if b.HTTPClient == nil {
		b.HTTPClient = newWebhookClient(b.WebhookTimeout, b.WebhookAllowPrivate)
	}
	if b.WebhookRetry.MaxAttempts == 0 && b.WebhookRetry.Strategy == (retry.Strategy{}) {
		s := retry.DefaultStrategy()
		s.BaseDelay = 100 * time.Millisecond
		b.WebhookRetry = retry.Policy{Strategy: s, MaxAttempts: 3}
	}
	return b
}

// decodePayload reads a task's payload strictly; a payload that does not fit
// is a permanent failure: another attempt cannot fix it.
func decodePayload(t *Task, dst any) error {
	if err := json.Unmarshal(t.Payload, dst); err != nil {
		return retry.Permanent(fmt.Errorf("invalid payload for %s: %w", t.TaskType, err))
	}
	return nil
}

func invalid(taskType, format string, args ...any) error {
	return retry.Permanent(fmt.Errorf("invalid payload for %s: %s", taskType, fmt.Sprintf(format, args...)))
}
