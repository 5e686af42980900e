package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/starter-go/starter/runtime/retry"
)

// maxValues bounds the elements of one data_processing array.
const maxValues = 1_000_000

type dataPayload struct {
	// Data is what is processed: any JSON value; count and sum want an array.
	Data json.RawMessage `json:"data"`
	// Operation is count, sum or process (the default).
	Operation *string `json:"operation"`
}

// DataStats summarises an array of numbers.
type DataStats struct {
	Count  int     `json:"count"`
	Sum    float64 `json:"sum"`
	Mean   float64 `json:"mean"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Median float64 `json:"median"`
	StdDev float64 `json:"stddev"`
}

// Processed is the result of the process operation: what data is, how many
// items it holds, and statistics when it is an array of numbers.
type Processed struct {
	Type  string     `json:"type"`
	Items int        `json:"items"`
	Stats *DataStats `json:"stats,omitempty"`
}

// processData runs the payload's operation over its data: count (→ {count},
// data an array), sum (→ {sum} over the numbers of the array, other
// elements skipped) or process (the default, → Processed).
func processData(ctx context.Context, t *Task) (any, error) {
	var p dataPayload
	if err := decodePayload(t, &p); err != nil {
		return nil, err
	}
	if len(p.Data) == 0 || string(p.Data) == "null" {
		return nil, invalid(t.TaskType, "data is required")
	}
	op := "process"
	if p.Operation != nil {
		op = *p.Operation
	}
	switch op {
	case "count", "sum":
		var items []any
		if json.Unmarshal(p.Data, &items) != nil {
			return nil, invalid(t.TaskType, "data must be an array for operation %s", op)
		}
		if op == "count" {
			return map[string]int{"count": len(items)}, nil
		}
		return map[string]float64{"sum": sumNumbers(items)}, nil
	case "process":
		return process(ctx, t, p.Data)
	}
	return nil, invalid(t.TaskType, "operation %q is not one of count, sum, process", op)
}

func sumNumbers(items []any) float64 {
	var sum float64
	for _, v := range items {
		if f, ok := v.(float64); ok {
			sum += f
		}
	}
	return sum
}

func process(ctx context.Context, t *Task, data json.RawMessage) (Processed, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return Processed{}, invalid(t.TaskType, "data is not valid JSON")
	}
	switch d := v.(type) {
	case []any:
		if len(d) > maxValues {
			return Processed{}, invalid(t.TaskType, "data must hold at most %d elements", maxValues)
		}
		out := Processed{Type: "array", Items: len(d)}
		if nums, ok := numbers(d); ok && len(nums) > 0 {
			st, err := stats(ctx, nums)
			if err != nil {
				return Processed{}, err
			}
			out.Stats = &st
		}
		return out, nil
	case map[string]any:
		return Processed{Type: "object", Items: len(d)}, nil
	case string:
		return Processed{Type: "string", Items: len([]rune(d))}, nil
	case float64:
		return Processed{Type: "number", Items: 1}, nil
	default:
		return Processed{Type: "boolean", Items: 1}, nil
	}
}

func numbers(items []any) ([]float64, bool) {
	out := make([]float64, len(items))
	for i, v := range items {
		f, ok := v.(float64)
		if !ok {
			return nil, false
		}
		out[i] = f
	}
	return out, true
}

// stats computes summary statistics (population standard deviation).
func stats(ctx context.Context, values []float64) (DataStats, error) {
	st := DataStats{Count: len(values), Min: math.Inf(1), Max: math.Inf(-1)}
	for i, v := range values {
		if i%65536 == 0 && ctx.Err() != nil {
			return DataStats{}, ctx.Err()
		}
		st.Sum += v
		st.Min = min(st.Min, v)
		st.Max = max(st.Max, v)
	}
	st.Mean = st.Sum / float64(st.Count)
	var sq float64
	for _, v := range values {
		sq += (v - st.Mean) * (v - st.Mean)
	}
	st.StdDev = math.Sqrt(sq / float64(st.Count))
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	if n := len(sorted); n%2 == 1 {
		st.Median = sorted[n/2]
	} else {
		st.Median = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return st, nil
}

// Bounds of a delay_task payload.
const (
	maxDelaySeconds = 3600
	maxFailAttempts = 25
)

type delayPayload struct {
	DelaySeconds *float64 `json:"delay_seconds"`
	// TaskID and TestScenario are echoed in the result; TaskID defaults to
	// the task's own id.
	TaskID       json.RawMessage `json:"task_id"`
	TestScenario json.RawMessage `json:"test_scenario"`
	// Deadline (RFC 3339) fails the task when the delay cannot end before it.
	Deadline *string `json:"deadline"`
	// FailAttempts N makes attempts 1..N fail after the delay.
	FailAttempts *float64 `json:"fail_attempts"`
}

// DelayResult is the result of a delay_task.
type DelayResult struct {
	TaskID       json.RawMessage `json:"task_id"`
	DelaySeconds float64         `json:"delay_seconds"`
	TestScenario json.RawMessage `json:"test_scenario"`
	Attempt      int             `json:"attempt"`
	CompletedAt  time.Time       `json:"completed_at"`
}

// delayHandler sleeps delay_seconds (fractions kept), or less if ctx ends.
// It is the deterministic task of retry and failure tests: attempts up to
// fail_attempts fail after the delay, and a deadline that cannot be met
// fails the task for good. Its zero value uses the real clock.
type delayHandler struct {
	// now and sleep default to time.Now and a cancellable sleep; tests
	// replace both with a clock of their own.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) bool
}

func (h delayHandler) Handle(ctx context.Context, t *Task) (any, error) {
	now, pause := h.now, h.sleep
	if now == nil {
		now = time.Now
	}
	if pause == nil {
		pause = sleep
	}
	var p delayPayload
	if err := decodePayload(t, &p); err != nil {
		return nil, err
	}
	deadline, failAttempts, err := delayRules(t, p)
	if err != nil {
		return nil, err
	}
	d := time.Duration(*p.DelaySeconds * float64(time.Second))
	if !deadline.IsZero() {
		switch left := deadline.Sub(now()); {
		case left <= 0:
			return nil, retry.Permanent(fmt.Errorf("missed deadline %s", deadline.Format(time.RFC3339Nano)))
		case left < d:
			return nil, retry.Permanent(fmt.Errorf("insufficient time: %s left before the deadline, the delay is %s", left.Round(time.Millisecond), d))
		}
	}
	if !pause(ctx, d) {
		return nil, ctx.Err()
	}
	if t.CurrentAttempt <= failAttempts {
		return nil, fmt.Errorf("simulated failure on attempt %d", t.CurrentAttempt)
	}
	done := now().UTC()
	if !deadline.IsZero() && done.After(deadline) {
		return nil, retry.Permanent(fmt.Errorf("completed past deadline %s", deadline.Format(time.RFC3339Nano)))
	}
	res := DelayResult{TaskID: p.TaskID, DelaySeconds: *p.DelaySeconds, TestScenario: p.TestScenario,
		Attempt: t.CurrentAttempt, CompletedAt: done}
	if len(res.TaskID) == 0 {
		res.TaskID, _ = json.Marshal(t.ID)
	}
	if len(res.TestScenario) == 0 {
		res.TestScenario = json.RawMessage("null")
	}
	return res, nil
}

// delayRules checks a delay_task payload and returns its deadline (zero if
// none) and fail_attempts.
func delayRules(t *Task, p delayPayload) (time.Time, int, error) {
	if p.DelaySeconds == nil || !(*p.DelaySeconds >= 0 && *p.DelaySeconds <= maxDelaySeconds) {
		return time.Time{}, 0, invalid(t.TaskType, "delay_seconds must be a number from 0 to %d", maxDelaySeconds)
	}
	var deadline time.Time
	if p.Deadline != nil {
		var err error
		if deadline, err = time.Parse(time.RFC3339Nano, *p.Deadline); err != nil {
			return time.Time{}, 0, invalid(t.TaskType, "deadline must be an RFC 3339 time")
		}
	}
	n := 0.0
	if p.FailAttempts != nil {
		n = *p.FailAttempts
	}
	if n != math.Trunc(n) || n < 0 || n > maxFailAttempts {
		return time.Time{}, 0, invalid(t.TaskType, "fail_attempts must be a whole number from 0 to %d", maxFailAttempts)
	}
	return deadline, int(n), nil
}
