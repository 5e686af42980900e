package tasks

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
)

// A written outcome forgets the lease of its own attempt, never the lease
// of a later claim of the same task by this worker, which may have come in
// between the write and the forgetting. A task put back without spending
// its attempt (its breaker open) and claimed again has the same attempt
// number: forgotten, the running attempt's lease was no longer renewed nor
// guarded, and another worker took the task back while it ran.
func TestDropForgetsOnlyTheLeaseOfItsOutcome(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// again is the attempt of a second claim made before the drop; 0: none.
		again int
		want  int
	}{
		{"no claim since", 0, 0},
		{"claimed again, the attempt spent", 2, 1},
		{"claimed again, the attempt given back", 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ls := newLeases()
			id := uuid.New()
			first := ls.hold(context.Background(), []*Task{{ID: id, CurrentAttempt: 1}}, time.Minute)[0]
			o := outcome{id: id, attempt: 1, kind: outcomeReleased, lease: first}
			if tc.again > 0 {
				ls.hold(context.Background(), []*Task{{ID: id, CurrentAttempt: tc.again}}, time.Minute)
			}
			ls.drop([]outcome{o})
			if ids, _ := ls.snapshot(); len(ids) != tc.want {
				t.Fatalf("%d leases held after the drop, want %d", len(ids), tc.want)
			}
		})
	}
}
