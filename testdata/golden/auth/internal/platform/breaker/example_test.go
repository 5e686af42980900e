package breaker_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"example.com/demo/internal/platform/breaker"
)

// A task worker asks before it runs a task, and defers the task while the
// breaker of its type is open: no attempt is spent.
func ExampleBreaker_Allow() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := breaker.Test() // 2 failures open it for 1 s
	s.Clock = func() time.Time { return now }
	b := breaker.New("email", s)

	for i := 1; i <= 3; i++ {
		done, err := b.Allow()
		if errors.Is(err, breaker.ErrOpen) {
			fmt.Printf("task %d deferred by %v\n", i, b.RetryAfter())
			continue
		}
		done(false) // the SMTP relay is down
		fmt.Printf("task %d failed, breaker %v\n", i, b.State())
	}
	now = now.Add(time.Second)
	fmt.Println("a second later:", b.State())
	// Output:
	// task 1 failed, breaker closed
	// task 2 failed, breaker open
	// task 3 deferred by 1s
	// a second later: half-open
}

func ExampleBreaker_Execute() {
	b := breaker.New("webhook", breaker.Settings{OnStateChange: func(name string, from, to breaker.State) {
		fmt.Printf("%s: %v → %v\n", name, from, to)
	}})
	for range 5 {
		_ = b.Execute(context.Background(), func(context.Context) error { return errors.New("503") })
	}
	err := b.Execute(context.Background(), func(context.Context) error { return nil })
	fmt.Println(err)
	// Output:
	// webhook: closed → open
	// circuit breaker is open
}
