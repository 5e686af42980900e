package health

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestRunSelectsChecksByProbe(t *testing.T) {
	t.Parallel()
	r := NewRegistry(time.Second)
	ok := func(context.Context) (string, error) { return "fine", nil }
	r.Register("a", Detailed|Ready, ok)
	r.Register("b", Startup, ok)
	r.Register("c", Ready, func(context.Context) (string, error) { return "", errors.New("broken") })
	got, healthy := r.Run(context.Background(), Ready)
	names := make([]string, 0, len(got))
	for n := range got {
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"a", "c"}) || healthy {
		t.Fatalf("names %v healthy %v", names, healthy)
	}
	if got["a"].Status != StatusHealthy || got["a"].Message != "fine" || got["c"].Message != "broken" || got["c"].Healthy() {
		t.Fatalf("%+v", got)
	}
	if _, healthy := r.Run(context.Background(), Startup); !healthy {
		t.Fatal("startup should pass")
	}
}

func TestRegisterReplacesByName(t *testing.T) {
	t.Parallel()
	r := NewRegistry(time.Second)
	r.Register("a", Ready, func(context.Context) (string, error) { return "", errors.New("old") })
	r.Register("a", Ready, func(context.Context) (string, error) { return "new", nil })
	got, healthy := r.Run(context.Background(), Ready)
	if len(got) != 1 || !healthy || got["a"].Message != "new" {
		t.Fatalf("%+v", got)
	}
}

// A check that ignores its context still ends at the timeout.
func TestHangingCheckTimesOut(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	r := NewRegistry(20 * time.Millisecond)
	r.Register("stuck", Ready, func(context.Context) (string, error) {
		<-release
		return "too late", nil
	})
	got, healthy := r.Run(context.Background(), Ready)
	if healthy || got["stuck"].Message != "timed out after 20ms" {
		t.Fatalf("%+v", got)
	}
}
