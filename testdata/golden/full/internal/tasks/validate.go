package tasks

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/platform/retry"
)

// Limits of a task created through the API.
const (
	MaxPayloadBytes       = 1 << 20
	MaxMetadataValueBytes = 4 << 10
	MaxMetadataBytes      = 64 << 10
	DefaultMaxAttempts    = 5
	MaxAttempts           = 25
	ScheduleBackWindow    = time.Hour
	ScheduleAheadWindow   = 365 * 24 * time.Hour
)

var metadataKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// CreateInput is a task as a client asks for it. The JSON shape (a missing
// task_type or payload, a payload or metadata that is not an object, wrong
// JSON types) is checked by the HTTP layer; Validate checks the rules.
type CreateInput struct {
	TaskType string
	Payload  json.RawMessage
	// Priority is a priority name; empty means normal.
	Priority string
	// ScheduledAt is an RFC 3339 time; empty means now.
	ScheduledAt string
	// MaxAttempts is nil for the default.
	MaxAttempts *int
	// RetryStrategy is the retry_strategy object; empty or null means the default.
	RetryStrategy json.RawMessage
	// Metadata is a JSON object or empty.
	Metadata  json.RawMessage
	CreatedBy uuid.UUID
}

// Validate applies the rules of POST /tasks and returns the task to insert.
// Errors are apperr validation errors naming the field.
func (in CreateInput) Validate(now time.Time) (NewTask, error) {
	n := NewTask{TaskType: in.TaskType, Payload: in.Payload, Priority: PriorityNormal, CreatedBy: &in.CreatedBy}
	if !ValidTypeName(in.TaskType) {
		return NewTask{}, errNotRegistered(in.TaskType)
	}
	if in.Priority != "" {
		p, ok := ParsePriority(in.Priority)
		if !ok {
			return NewTask{}, apperr.Validation("priority", "must be one of low, normal, high, critical")
		}
		n.Priority = p
	}
	if len(in.Payload) > MaxPayloadBytes {
		return NewTask{}, apperr.Validation("payload", "must not exceed 1 MiB")
	}
	var err error
	if n.RetryStrategy, n.MaxAttempts, err = retryRules(in.RetryStrategy, in.MaxAttempts); err != nil {
		return NewTask{}, err
	}
	if n.ScheduledAt, err = scheduleRule(in.ScheduledAt, now); err != nil {
		return NewTask{}, err
	}
	if n.Metadata, err = metadataRules(in.Metadata); err != nil {
		return NewTask{}, err
	}
	return n, nil
}

// retryRules validates retry_strategy and max_attempts together: strategy
// none means exactly one attempt.
func retryRules(raw json.RawMessage, maxAttempts *int) (json.RawMessage, int, error) {
	s := retry.DefaultStrategy()
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &s); err != nil {
			var fe *retry.FieldError
			if errors.As(err, &fe) {
				return nil, 0, apperr.Validation(fe.Field, fe.Rule)
			}
			return nil, 0, apperr.Validation("retry_strategy", "must be a retry strategy object")
		}
	}
	attempts := DefaultMaxAttempts
	if s.Kind == retry.None {
		attempts = 1
	}
	if maxAttempts != nil {
		attempts = *maxAttempts
		if attempts < 1 || attempts > MaxAttempts {
			return nil, 0, apperr.Validation("max_attempts", fmt.Sprintf("must be between 1 and %d", MaxAttempts))
		}
		if s.Kind == retry.None && attempts != 1 {
			return nil, 0, apperr.Validation("max_attempts", "must be 1 when retry_strategy.type is none")
		}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, 0, apperr.Validation("retry_strategy", err.Error())
	}
	return b, attempts, nil
}

func scheduleRule(raw string, now time.Time) (time.Time, error) {
	if raw == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, apperr.Validation("scheduled_at", "must be an RFC 3339 time")
	}
	if t.Before(now.Add(-ScheduleBackWindow)) || t.After(now.Add(ScheduleAheadWindow)) {
		return time.Time{}, apperr.Validation("scheduled_at", "must be between 1 hour ago and 365 days from now")
	}
	return t.UTC(), nil
}

// metadataRules checks keys and sizes and sets api_created, which the API
// always sets to true whatever the client sent.
func metadataRules(raw json.RawMessage) (json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, apperr.Validation("metadata", "must be an object")
		}
	}
	if len(raw) > MaxMetadataBytes {
		return nil, apperr.Validation("metadata", "must not exceed 64 KiB in all")
	}
	for k, v := range m {
		if !metadataKeyRE.MatchString(k) {
			return nil, apperr.Validation("metadata", "keys must be 1–128 letters, digits, underscores or hyphens")
		}
		if len(v) > MaxMetadataValueBytes {
			return nil, apperr.Validation("metadata", fmt.Sprintf("value of %s must not exceed 4 KiB", k))
		}
	}
	m["api_created"] = json.RawMessage("true")
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	if len(b) > MaxMetadataBytes {
		return nil, apperr.Validation("metadata", "must not exceed 64 KiB in all")
	}
	return b, nil
}
