package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starter-go/starter/runtime/retry"
)

// payloadCase runs a handler on a payload and wants either a result whose
// JSON is want, or a permanent error naming every word of failWith.
type payloadCase struct {
	payload  string
	want     string
	failWith []string
}

func runPayloadCases(t *testing.T, taskType string, h Handler, cases []payloadCase) {
	t.Helper()
	for _, tc := range cases {
		res, err := h.Handle(context.Background(), task(taskType, tc.payload))
		if tc.failWith != nil {
			if !retry.IsPermanent(err) {
				t.Errorf("%s: want a permanent error, got %v (result %v)", tc.payload, err, res)
				continue
			}
			for _, w := range tc.failWith {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s: error %q does not name %q", tc.payload, err, w)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.payload, err)
			continue
		}
		got, _ := json.Marshal(res)
		if !jsonEqual(t, got, []byte(tc.want)) {
			t.Errorf("%s: result %s, want %s", tc.payload, got, tc.want)
		}
	}
}

func TestEmailPayloadRules(t *testing.T) {
	t.Parallel()
	h := emailHandler{NewOutbox(slog.New(slog.NewTextHandler(io.Discard, nil)), 10)}
	runPayloadCases(t, TypeEmail, h, []payloadCase{
		{payload: `{}`, failWith: []string{"to"}},
		{payload: `{"to":"a@example.com"}`, failWith: []string{"subject"}},
		{payload: `{"to":"a@example.com","subject":"Hi"}`, failWith: []string{"body"}},
		{payload: `{"to":"nope","subject":"Hi","body":""}`, failWith: []string{"to"}},
		{payload: `{"to":"a@example.com","subject":"","body":""}`, failWith: []string{"subject"}},
		{payload: `{"to":"a@example.com","subject":"Hi","body":3}`, failWith: []string{"body"}},
	})
	if _, err := h.Handle(context.Background(), task(TypeEmail, `{"to":"a@example.com","subject":"Hi","body":""}`)); err != nil {
		t.Fatalf("an empty body: %v", err)
	}
}

func TestDataProcessingPayloadRules(t *testing.T) {
	t.Parallel()
	runPayloadCases(t, TypeDataProcessing, HandlerFunc(processData), []payloadCase{
		{payload: `{"data":[1,2,"x",null],"operation":"count"}`, want: `{"count":4}`},
		{payload: `{"data":[],"operation":"count"}`, want: `{"count":0}`},
		{payload: `{"data":[1,2.5,"x",null,{"a":1}],"operation":"sum"}`, want: `{"sum":3.5}`},
		{payload: `{"data":[],"operation":"sum"}`, want: `{"sum":0}`},
		{payload: `{"data":{"a":1,"b":2}}`, want: `{"type":"object","items":2}`},
		{payload: `{"data":"héllo","operation":"process"}`, want: `{"type":"string","items":5}`},
		{payload: `{"data":[1,"x"]}`, want: `{"type":"array","items":2}`},
		{payload: `{"data":[3,1,2]}`, want: `{"type":"array","items":3,"stats":{"count":3,"sum":6,"mean":2,"min":1,"max":3,"median":2,"stddev":0.816496580927726}}`},
		{payload: `{"data":{"a":1},"operation":"count"}`, failWith: []string{"data", "array", "count"}},
		{payload: `{"data":"x","operation":"sum"}`, failWith: []string{"data", "array", "sum"}},
		{payload: `{"data":[1],"operation":"mean"}`, failWith: []string{"operation", `"mean"`}},
		{payload: `{"data":[1],"operation":7}`, failWith: []string{"operation"}},
		{payload: `{"operation":"count"}`, failWith: []string{"data"}},
		{payload: `{"data":null}`, failWith: []string{"data"}},
	})
}

// fakeTime is the clock of a delay handler: sleeping moves it by the delay
// and by lag, the time the rest of the attempt takes.
type fakeTime struct {
	mu    sync.Mutex
	now   time.Time
	lag   time.Duration
	slept []time.Duration
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slept = append(f.slept, d)
	f.now = f.now.Add(d + f.lag)
	return ctx.Err() == nil
}

func delayAt(start time.Time, lag time.Duration) (delayHandler, *fakeTime) {
	f := &fakeTime{now: start, lag: lag}
	return delayHandler{now: f.Now, sleep: f.Sleep}, f
}

func TestDelayTaskPayloadRules(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(d time.Duration) string { return start.Add(d).Format(time.RFC3339Nano) }
	h, _ := delayAt(start, 0)
	runPayloadCases(t, TypeDelay, h, []payloadCase{
		{payload: `{}`, failWith: []string{"delay_seconds"}},
		{payload: `{"delay_seconds":-0.5}`, failWith: []string{"delay_seconds"}},
		{payload: `{"delay_seconds":3600.5}`, failWith: []string{"delay_seconds"}},
		{payload: `{"delay_seconds":"1"}`, failWith: []string{"delay_seconds"}},
		{payload: `{"delay_seconds":1,"deadline":"tomorrow"}`, failWith: []string{"deadline"}},
		{payload: `{"delay_seconds":1,"fail_attempts":26}`, failWith: []string{"fail_attempts"}},
		{payload: `{"delay_seconds":1,"fail_attempts":1.5}`, failWith: []string{"fail_attempts"}},
		{payload: `{"delay_seconds":1,"fail_attempts":-1}`, failWith: []string{"fail_attempts"}},
		{payload: `{"delay_seconds":1,"deadline":"` + at(0) + `"}`, failWith: []string{"missed deadline"}},
		{payload: `{"delay_seconds":1,"deadline":"` + at(-time.Hour) + `"}`, failWith: []string{"missed deadline"}},
		{payload: `{"delay_seconds":1,"deadline":"` + at(999*time.Millisecond) + `"}`, failWith: []string{"insufficient time"}},
	})
	late, _ := delayAt(start, time.Millisecond)
	runPayloadCases(t, TypeDelay, late, []payloadCase{
		{payload: `{"delay_seconds":1,"deadline":"` + at(time.Second) + `"}`, failWith: []string{"completed past deadline"}},
	})
}

func TestDelayTaskResultAndFractions(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	h, clock := delayAt(start, 0)
	tk := task(TypeDelay, `{"delay_seconds":0.3,"task_id":"seed-42","test_scenario":"retry","deadline":"`+
		start.Add(time.Second).Format(time.RFC3339)+`"}`)
	tk.CurrentAttempt = 2
	res, err := h.Handle(context.Background(), tk)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(res)
	want := `{"task_id":"seed-42","delay_seconds":0.3,"test_scenario":"retry","attempt":2,"completed_at":"2030-01-02T03:04:05.3Z"}`
	if !jsonEqual(t, got, []byte(want)) || len(clock.slept) != 1 || clock.slept[0] != 300*time.Millisecond {
		t.Fatalf("result %s after sleeping %v, want %s after 300ms", got, clock.slept, want)
	}
	own := task(TypeDelay, `{"delay_seconds":0}`)
	res, err = h.Handle(context.Background(), own)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = json.Marshal(res)
	var m map[string]any
	_ = json.Unmarshal(got, &m)
	if m["task_id"] != own.ID.String() || m["test_scenario"] != nil || len(m) != 5 {
		t.Fatalf("defaults: %s", got)
	}
}

// fail_attempts N fails attempts 1..N after the delay, as retryable
// failures, and lets attempt N+1 succeed.
func TestDelayTaskFailAttemptsIsDeterministic(t *testing.T) {
	t.Parallel()
	h, clock := delayAt(time.Now(), 0)
	for attempt := 1; attempt <= 4; attempt++ {
		tk := task(TypeDelay, `{"delay_seconds":2,"fail_attempts":3}`)
		tk.CurrentAttempt = attempt
		res, err := h.Handle(context.Background(), tk)
		switch {
		case attempt <= 3 && (err == nil || retry.IsPermanent(err) || err.Error() != "simulated failure on attempt "+string(rune('0'+attempt))):
			t.Fatalf("attempt %d: %v", attempt, err)
		case attempt == 4 && (err != nil || res.(DelayResult).Attempt != 4):
			t.Fatalf("attempt 4: %v %v", res, err)
		}
	}
	if len(clock.slept) != 4 {
		t.Fatalf("slept %v: a simulated failure must come after the delay", clock.slept)
	}
}

// jsonEqual compares JSON texts by value, keeping numbers as written (a
// rewritten number must not pass for the same one).
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	norm := func(b []byte) string {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		out, _ := json.Marshal(v)
		return string(out)
	}
	return norm(a) == norm(b)
}
