package auth

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starter-go/starter/templates/project/internal/apperr"
)

func TestIPKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"not an address", "not an address"},
		{"", ""},
	} {
		if got := ipKey(tc.in); got != tc.want {
			t.Errorf("ipKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestHashGateBoundsConcurrency(t *testing.T) {
	t.Parallel()
	g := newHashGate(2)
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := g.run(context.Background(), func() {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() { //nolint:revive // a compare-and-swap loop: its header does the work
				}
				runtime.Gosched()
				running.Add(-1)
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 2 {
		t.Fatalf("%d runs at once through a gate of 2", p)
	}
}

// Hashing and verifying in the service wait for the gate: with every slot
// taken, a request whose context ends gets the gate's error and no hash.
func TestServiceHashesThroughGate(t *testing.T) {
	t.Parallel()
	s := &Service{settings: Settings{Hash: cheap}.withDefaults(), logger: slog.New(slog.DiscardHandler), gate: newHashGate(1)}
	phc, err := HashPassword("Correct7horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	s.gate <- struct{}{} // every slot busy
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if h, err := s.hash(cancelled, "Correct7horse"); !errors.Is(err, context.Canceled) || h != "" {
		t.Fatalf("hash with the gate full and the request gone = %q, %v", h, err)
	}
	if ok, err := s.verify(cancelled, "Correct7horse", phc); !errors.Is(err, context.Canceled) || ok {
		t.Fatalf("verify with the gate full and the request gone = %v, %v", ok, err)
	}
	if _, err := s.hash(expired, "Correct7horse"); !apperr.Is(err, apperr.CodeServiceUnavailable) {
		t.Fatalf("hash past the deadline = %v, want SERVICE_UNAVAILABLE", err)
	}
	<-s.gate
	if ok, err := s.verify(context.Background(), "Correct7horse", phc); err != nil || !ok {
		t.Fatalf("verify with a free slot = %v, %v", ok, err)
	}
}

func TestSettingsHashConcurrencyDefault(t *testing.T) {
	t.Parallel()
	if got := (Settings{}).withDefaults().HashConcurrency; got != runtime.GOMAXPROCS(0) {
		t.Fatalf("HashConcurrency default = %d, want GOMAXPROCS %d", got, runtime.GOMAXPROCS(0))
	}
}
