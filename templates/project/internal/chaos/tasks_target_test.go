package chaos

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

func post(ctx context.Context, t *testing.T, url, task, attempt, body string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Idempotency-Key", task)
	req.Header.Set("X-Task-Attempt", attempt)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The target records every delivery: two of one task in flight at once are
// marked, a delivery whose sender went away is aborted, and while failing
// it answers 503.
func TestTargetRecordsDeliveries(t *testing.T) {
	t.Parallel()
	tg, err := startTarget()
	if err != nil {
		t.Fatal(err)
	}
	defer tg.close(context.Background())
	ctx := context.Background()
	if got := post(ctx, t, tg.URL(), "a", "1", `{"hold_ms": 0}`); got != http.StatusOK {
		t.Fatalf("delivery answered %d", got)
	}
	var wg sync.WaitGroup
	for _, attempt := range []string{"1", "2"} {
		wg.Go(func() { post(ctx, t, tg.URL(), "b", attempt, `{"hold_ms": 300}`) })
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	gone, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	post(gone, t, tg.URL(), "c", "1", `{"hold_ms": 3000}`)
	tg.fail(true)
	if got := post(ctx, t, tg.URL(), "d", "1", `{"hold_ms": 0}`); got != http.StatusServiceUnavailable {
		t.Fatalf("failing target answered %d", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(tg.deliveries()) < 5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := map[string][]delivery{}
	for _, d := range tg.deliveries() {
		got[d.task] = append(got[d.task], d)
	}
	switch {
	case len(got["a"]) != 1 || got["a"][0].status != 200 || got["a"][0].attempt != 1 || got["a"][0].overlapped:
		t.Errorf("a: %+v", got["a"])
	case len(got["b"]) != 2 || got["b"][0].overlapped == got["b"][1].overlapped:
		t.Errorf("b, two at once: want one of them marked overlapped, got %+v", got["b"])
	case len(got["c"]) != 1 || !got["c"][0].aborted:
		t.Errorf("c, sender gone: want aborted, got %+v", got["c"])
	case len(got["d"]) != 1 || got["d"][0].status != http.StatusServiceUnavailable:
		t.Errorf("d, failing: %+v", got["d"])
	}
}
