package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/starter-go/starter/runtime/retry"
)

func task(taskType, payload string) *Task {
	return &Task{ID: uuid.New(), TaskType: taskType, Payload: json.RawMessage(payload), CurrentAttempt: 1}
}

func TestProcessData(t *testing.T) {
	t.Parallel()
	got, err := processData(context.Background(), task(TypeDataProcessing, `{"data":[2,4,4,4,5,5,7,9]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := DataStats{Count: 8, Sum: 40, Mean: 5, Min: 2, Max: 9, Median: 4.5, StdDev: 2}
	if st := got.(Processed).Stats; st == nil || *st != want {
		t.Fatalf("stats %+v, want %+v", got, want)
	}
	for _, bad := range []string{`{"data":[],"operation":"mean"}`, `{"data":"x","operation":"sum"}`, `{}`, `[1]`} {
		if _, err := processData(context.Background(), task(TypeDataProcessing, bad)); !retry.IsPermanent(err) {
			t.Errorf("%s: want a permanent error, got %v", bad, err)
		}
	}
}

func TestDelayIsCancellable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (delayHandler{}).Handle(ctx, task(TypeDelay, `{"delay_seconds":3600}`)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled delay: %v", err)
	}
	res, err := (delayHandler{}).Handle(context.Background(), task(TypeDelay, `{"delay_seconds":0.001}`))
	if err != nil || res.(DelayResult).DelaySeconds != 0.001 {
		t.Fatalf("delay: %v %v", res, err)
	}
	for _, bad := range []string{`{"delay_seconds":-1}`, `{"delay_seconds":3601}`, `{}`, `{"delay_seconds":"1"}`} {
		if _, err := (delayHandler{}).Handle(context.Background(), task(TypeDelay, bad)); !retry.IsPermanent(err) {
			t.Errorf("%s: want a permanent error, got %v", bad, err)
		}
	}
}

func TestCleanupStaysInsideItsRoot(t *testing.T) {
	t.Parallel()
	root, outside := t.TempDir(), t.TempDir()
	old := time.Now().Add(-time.Hour)
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(victim, old, old)
	if err := os.Symlink(outside, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	h := cleanupHandler{root: root, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, p := range []string{"../", "/", "a/../../b", "escape"} {
		_, err := h.Handle(context.Background(), task(TypeFileCleanup, `{"path":"`+p+`","older_than_hours":0}`))
		if err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
	if _, err := os.Stat(victim); err != nil {
		t.Fatalf("a file outside the root was deleted: %v", err)
	}
	off := cleanupHandler{log: h.log}
	if _, err := off.Handle(context.Background(), task(TypeFileCleanup, `{"older_than_hours":1}`)); !retry.IsPermanent(err) {
		t.Fatalf("cleanup without a root: %v", err)
	}
}

func TestWebhookClientRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	h := webhookHandler{client: newWebhookClient(time.Second, false), policy: retry.Policy{MaxAttempts: 1}}
	_, err := h.Handle(context.Background(), task(TypeWebhook, `{"url":"`+srv.URL+`"}`))
	if !errors.Is(err, errForbiddenAddress) || !retry.IsPermanent(err) {
		t.Fatalf("loopback webhook: %v", err)
	}
	allowed := webhookHandler{client: newWebhookClient(time.Second, true), policy: retry.Policy{MaxAttempts: 1}}
	if _, err := allowed.Handle(context.Background(), task(TypeWebhook, `{"url":"`+srv.URL+`"}`)); err != nil {
		t.Fatalf("allowed webhook: %v", err)
	}
	for _, bad := range []string{`{"url":"ftp://x"}`, `{"url":"/relative"}`, `{}`} {
		if _, err := allowed.Handle(context.Background(), task(TypeWebhook, bad)); !retry.IsPermanent(err) {
			t.Errorf("%s: want a permanent error, got %v", bad, err)
		}
	}
}

func TestEmailValidatesAndSends(t *testing.T) {
	t.Parallel()
	box := NewOutbox(slog.New(slog.NewTextHandler(io.Discard, nil)), 2)
	h := emailHandler{box}
	for range 3 {
		if _, err := h.Handle(context.Background(), task(TypeEmail, `{"to":"a@example.com","subject":"hi","body":"x"}`)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(box.Sent()); n != 2 {
		t.Fatalf("outbox keeps %d, want 2", n)
	}
	for _, bad := range []string{`{"to":"Bob <b@example.com>","subject":"x"}`, `{"to":"a@example.com","subject":""}`, `{"to":"nope","subject":"x"}`} {
		if _, err := h.Handle(context.Background(), task(TypeEmail, bad)); !retry.IsPermanent(err) {
			t.Errorf("%s: want a permanent error, got %v", bad, err)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	if d, ok := retryDelay(nil, 1); !ok || d < 900*time.Millisecond || d > time.Second {
		t.Fatalf("default after attempt 1: %s %v", d, ok)
	}
	if _, ok := retryDelay(json.RawMessage(`{"type":"none"}`), 1); ok {
		t.Fatal("strategy none retries")
	}
	if d, _ := retryDelay(json.RawMessage(`{"type":"linear","base_delay_ms":100,"increment_ms":50,"max_delay_ms":1000}`), 3); d != 200*time.Millisecond {
		t.Fatalf("linear after attempt 3: %s", d)
	}
}

func TestCreateInputRules(t *testing.T) {
	t.Parallel()
	now := time.Now()
	base := CreateInput{TaskType: "email", Payload: json.RawMessage(`{}`)}
	n, err := base.Validate(now)
	if err != nil || n.MaxAttempts != 5 || n.Priority != PriorityNormal || string(n.Metadata) != `{"api_created":true}` {
		t.Fatalf("defaults: %+v %v", n, err)
	}
	bad := map[string]CreateInput{
		"priority":     {TaskType: "email", Payload: base.Payload, Priority: "HIGH"},
		"scheduled_at": {TaskType: "email", Payload: base.Payload, ScheduledAt: now.Add(-2 * time.Hour).Format(time.RFC3339)},
		"metadata":     {TaskType: "email", Payload: base.Payload, Metadata: json.RawMessage(`{"a b":1}`)},
		"task_type":    {TaskType: "a.b", Payload: base.Payload},
		"payload":      {TaskType: "email", Payload: json.RawMessage(`{"x":"` + strings.Repeat("x", MaxPayloadBytes) + `"}`)},
	}
	for field, in := range bad {
		if _, err := in.Validate(now); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", field, err)
		}
	}
}

func TestPriorityJSON(t *testing.T) {
	t.Parallel()
	for _, p := range []Priority{PriorityLow, PriorityNormal, PriorityHigh, PriorityCritical} {
		b, _ := json.Marshal(p)
		var back Priority
		if err := json.Unmarshal(b, &back); err != nil || back != p {
			t.Fatalf("%s round trip: %s %v", p, b, err)
		}
	}
	var p Priority
	if err := json.Unmarshal([]byte(`"HIGH"`), &p); err == nil {
		t.Fatal("HIGH accepted")
	}
}
