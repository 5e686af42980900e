package retry_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"example.com/demo/internal/platform/retry"
)

func ExampleDo() {
	p := retry.Test() // fixed 10 ms, 2 attempts
	p.Sleep = func(_ context.Context, d time.Duration) error {
		fmt.Println("sleep", d)
		return nil
	}
	attempt := 0
	err := retry.Do(context.Background(), p, func(context.Context) error {
		attempt++
		fmt.Println("attempt", attempt)
		return errors.New("connection refused")
	})
	fmt.Println(err)
	// Output:
	// attempt 1
	// sleep 10ms
	// attempt 2
	// connection refused
}

// The task queue keeps the strategy as JSON and asks it for the delay
// before the next attempt.
func ExampleStrategy_Delay() {
	var s retry.Strategy
	if err := json.Unmarshal([]byte(`{"type":"linear","base_delay_ms":1000,"increment_ms":1000,"max_delay_ms":2500}`), &s); err != nil {
		fmt.Println(err)
		return
	}
	for attempt := 1; attempt <= 4; attempt++ {
		fmt.Printf("after attempt %d: %v\n", attempt, s.Delay(attempt, 0))
	}
	// Output:
	// after attempt 1: 1s
	// after attempt 2: 2s
	// after attempt 3: 2.5s
	// after attempt 4: 2.5s
}

func ExampleStrategy_UnmarshalJSON() {
	var s retry.Strategy
	err := json.Unmarshal([]byte(`{"type":"exponential","multiplier":12}`), &s)
	var fe *retry.FieldError
	if errors.As(err, &fe) {
		fmt.Printf("Validation failed for %s: %s\n", fe.Field, fe.Rule)
	}
	// Output:
	// Validation failed for retry_strategy.multiplier: must be between 1 and 10
}
