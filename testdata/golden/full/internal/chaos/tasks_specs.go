package chaos

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// taskSpec is one task the run creates: its key (in metadata, to find it
// whatever the API answered) and the body of POST /tasks.
type taskSpec struct {
	key  string
	body []byte
}

// What a task of the run is meant to end as, in its metadata.
const (
	expectComplete = "complete"
	expectFail     = "fail"
)

// createBody is the JSON of POST /tasks.
type createBody struct {
	TaskType      string         `json:"task_type"`
	Payload       map[string]any `json:"payload"`
	Priority      string         `json:"priority"`
	MaxAttempts   int            `json:"max_attempts"`
	RetryStrategy map[string]any `json:"retry_strategy"`
	Metadata      map[string]any `json:"metadata"`
}

// mix draws the run's tasks: delay tasks (plain, failing their first
// attempt, failing every attempt, with a deadline), webhooks to the run's
// target, emails and data processing. Retries are short (a fixed 300–500 ms)
// so that a run drains in seconds.
// Each goroutine has a mix of its own (rng is not safe for concurrent use);
// they share the counter that numbers the keys.
type mix struct {
	run     string
	hookURL string
	rng     *rand.Rand
	now     func() time.Time
	count   *atomic.Int64
}

func (m mix) key() string { return fmt.Sprintf("%s-%d", m.run, m.count.Add(1)) }

// spec completes b: the run's metadata (run, key, expected end, kind:
// steady unless b says flood) beside what b already holds, and the defaults.
func (m mix) spec(key string, b createBody, expect string) taskSpec {
	if b.Metadata == nil {
		b.Metadata = map[string]any{}
	}
	b.Metadata["chaos_run"], b.Metadata["chaos_key"], b.Metadata["chaos_expect"] = m.run, key, expect
	if b.Metadata["chaos_kind"] == nil {
		b.Metadata["chaos_kind"] = "steady"
	}
	if b.Priority == "" {
		b.Priority = "normal"
	}
	if b.RetryStrategy == nil {
		b.RetryStrategy = map[string]any{"type": "fixed", "interval_ms": 300}
	}
	if b.MaxAttempts == 0 {
		b.MaxAttempts = 8
	}
	data, _ := json.Marshal(b)
	return taskSpec{key: key, body: data}
}

// next draws one task of the steady load.
func (m mix) next() taskSpec {
	switch x := m.rng.Float64(); {
	case x < 0.40:
		return m.delay()
	case x < 0.75:
		return m.webhook()
	case x < 0.87:
		return m.spec(m.key(), createBody{TaskType: "email", Payload: map[string]any{
			"to": "chaos@example.com", "subject": "chaos run " + m.run, "body": "a message of the fault-injection suite"}}, expectComplete)
	default:
		// The sum is known in advance: a wrong result is caught too.
		data := make([]float64, 20)
		sum := 0.0
		for i := range data {
			data[i] = float64(m.rng.IntN(1000))
			sum += data[i]
		}
		return m.spec(m.key(), createBody{TaskType: "data_processing",
			Payload: map[string]any{"data": data, "operation": "sum"}, Metadata: map[string]any{"chaos_sum": sum}}, expectComplete)
	}
}

func (m mix) delay() taskSpec {
	p := map[string]any{"delay_seconds": 0.05 + 0.35*m.rng.Float64(), "test_scenario": "chaos"}
	b := createBody{TaskType: "delay_task", Payload: p}
	switch x := m.rng.Float64(); {
	case x < 0.25:
		p["fail_attempts"] = 1
	case x < 0.35:
		// Every attempt fails: the task must end failed, after exactly two.
		p["fail_attempts"], b.MaxAttempts = 2, 2
		return m.spec(m.key(), b, expectFail)
	case x < 0.70:
		// A deadline a healthy queue meets easily, on a high priority.
		p["deadline"] = m.now().Add(time.Minute).UTC().Format(time.RFC3339Nano)
		b.Priority = "high"
	}
	return m.spec(m.key(), b, expectComplete)
}

func (m mix) webhook() taskSpec {
	b := createBody{TaskType: "webhook", MaxAttempts: 12,
		RetryStrategy: map[string]any{"type": "fixed", "interval_ms": 500}}
	key := m.key()
	b.Payload = map[string]any{"url": m.hookURL, "body": map[string]any{"chaos_key": key, "hold_ms": 20 + m.rng.IntN(180)}}
	return m.spec(key, b, expectComplete)
}

// flood draws one task of a flood: a low-priority delay task of 0.3 s, a
// quarter of them with a deadline 20 s away, which a queue this far behind
// may miss.
func (m mix) flood() taskSpec {
	p := map[string]any{"delay_seconds": 0.3, "test_scenario": "flood"}
	if m.rng.IntN(4) == 0 {
		p["deadline"] = m.now().Add(20 * time.Second).UTC().Format(time.RFC3339Nano)
	}
	return m.spec(m.key(), createBody{TaskType: "delay_task", Payload: p, Priority: "low",
		Metadata: map[string]any{"chaos_kind": "flood"}}, expectComplete)
}
