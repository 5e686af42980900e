package tasks

import (
	"encoding/json"
	"time"

	"example.com/demo/internal/platform/retry"
)

// parseStrategy reads a task's stored retry_strategy; NULL is the default.
func parseStrategy(raw json.RawMessage) (retry.Strategy, error) {
	var s retry.Strategy
	if len(raw) == 0 || string(raw) == "null" {
		return retry.DefaultStrategy(), nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return retry.Strategy{}, err
	}
	return s, nil
}

// retryDelay is the delay before the attempt after attempt n, and whether
// the strategy allows one at all. A strategy that no longer parses (edited
// by hand in the database) falls back to the default rather than losing the
// task.
func retryDelay(raw json.RawMessage, n int) (time.Duration, bool) {
	s, err := parseStrategy(raw)
	if err != nil {
		s = retry.DefaultStrategy()
	}
	if s.Kind == retry.None {
		return 0, false
	}
	return retry.Policy{Strategy: s}.Delay(n), true
}
