package logging

import (
	"bytes"
	"context"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hostile is text a client controls (a path, a header) that could forge or
// break a line if escaped differently from slog.
func hostile() []string {
	return []string{
		"",
		"/api/v1/health/live",
		`quote " and backslash \ and \" both`,
		"\x00\x01\x07\x08\x0b\x0c\x1b\x1f",
		"line\nbreak\rreturn\ttab",
		`fake","level":"ERROR","msg":"forged`,
		"<script>&amp;</script>\x7f",
		"invalid \xff\xfe utf-8",
		"truncated \xe2\x82",
		"overlong \xc0\xaf slash",
		"surrogate \xed\xa0\x80 half",
		"separators \u2028 and \u2029",
		"unicode é 日本 🎉 \ufffd",
		"\xf4\x90\x80\x80 above U+10FFFF",
		strings.Repeat("a\"\x00é", 300),
	}
}

// slogLine is what slog's JSON handler writes for msg and string fields.
func slogLine(t time.Time, level slog.Level, msg string, kv [][2]string, n int64) []byte {
	var buf bytes.Buffer
	h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	r := slog.NewRecord(t, level, msg, 0)
	for _, f := range kv {
		r.AddAttrs(slog.String(f[0], f[1]))
	}
	r.AddAttrs(slog.Int64("n", n))
	_ = h.Handle(context.Background(), r)
	return buf.Bytes()
}

// ourLine is the same through Handler.Line.
func ourLine(tb testing.TB, t time.Time, level slog.Level, msg string, kv [][2]string, n int64) []byte {
	tb.Helper()
	var buf bytes.Buffer
	h := NewHandler(&buf, slog.LevelDebug)
	l := h.Line(t, level, msg)
	if l == nil {
		tb.Fatalf("no line for %v", t)
	}
	for _, f := range kv {
		l.String(f[0], f[1])
	}
	l.Int("n", n)
	if err := h.WriteLine(context.Background(), l); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestLineWritesWhatSlogWrites(t *testing.T) {
	t.Parallel()
	east := time.FixedZone("east", 5*3600+30*60)
	times := []time.Time{
		time.Date(2026, 11, 30, 4, 5, 6, 123456789, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 0, east),
		time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Now(), // with a monotonic reading, which slog strips
	}
	levels := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelInfo + 2}
	for _, s := range hostile() {
		for i, tm := range times {
			level := levels[i%len(levels)]
			kv := [][2]string{{"path", s}, {s, "as a key"}, {"method", "GET"}}
			want := slogLine(tm, level, s, kv, int64(len(s))-100)
			got := ourLine(t, tm, level, s, kv, int64(len(s))-100)
			if !bytes.Equal(got, want) {
				t.Errorf("%q:\n got %s\nwant %s", s, got, want)
			}
		}
	}
}

func FuzzLineWritesWhatSlogWrites(f *testing.F) {
	for _, s := range hostile() {
		f.Add(s, s, int64(len(s)))
	}
	tm := time.Date(2026, 11, 30, 4, 5, 6, 7, time.UTC)
	f.Fuzz(func(t *testing.T, key, value string, n int64) {
		kv := [][2]string{{key, value}, {"k", value}}
		want := slogLine(tm, slog.LevelWarn, value, kv, n)
		if got := ourLine(t, tm, slog.LevelWarn, value, kv, n); !bytes.Equal(got, want) {
			t.Errorf("got %s\nwant %s", got, want)
		}
	})
}

// A time slog cannot write as RFC 3339 gets no line: the caller logs
// through slog, which says so in the line.
func TestLineRefusesYearsOutsideRFC3339(t *testing.T) {
	t.Parallel()
	h := NewHandler(&bytes.Buffer{}, slog.LevelInfo)
	for _, tc := range []struct {
		year int
		ok   bool
	}{{-1, false}, {0, true}, {9999, true}, {10000, false}} {
		l := h.Line(time.Date(tc.year, 6, 1, 0, 0, 0, 0, time.UTC), slog.LevelInfo, "m")
		if (l != nil) != tc.ok {
			t.Errorf("year %d: line %v, want one: %v", tc.year, l != nil, tc.ok)
		}
	}
}

// Handlers with attributes or a group write more than a Line holds, so
// they must not take lines.
func TestDerivedHandlersTakeNoLines(t *testing.T) {
	t.Parallel()
	h := NewHandler(&bytes.Buffer{}, slog.LevelInfo)
	if _, ok := slog.Handler(h).(LineHandler); !ok {
		t.Fatal("Handler is no LineHandler")
	}
	for name, d := range map[string]slog.Handler{
		"WithAttrs": h.WithAttrs([]slog.Attr{slog.String("a", "b")}),
		"WithGroup": h.WithGroup("g"),
	} {
		if _, ok := d.(LineHandler); ok {
			t.Errorf("%s takes lines", name)
		}
	}
}

// A line and a record written at once through the same handler go to the
// writer one at a time, like slog's records among themselves, even when the
// writer is not safe for concurrent use.
func TestLinesAndRecordsShareTheLock(t *testing.T) {
	t.Parallel()
	w := &overlapWriter{}
	h := NewHandler(w, slog.LevelInfo)
	log := slog.New(h)
	done := make(chan struct{})
	const n = 500
	go func() {
		defer close(done)
		for range n {
			log.Info("record")
		}
	}()
	for range n {
		l := h.Line(time.Now(), slog.LevelInfo, "line")
		if err := h.WriteLine(context.Background(), l); err != nil {
			t.Error(err)
		}
	}
	<-done
	if w.overlaps.Load() > 0 {
		t.Fatalf("%d writes overlapped another", w.overlaps.Load())
	}
}

// overlapWriter counts the writes that start while another is under way;
// each write yields the processor in the middle to leave room for one.
type overlapWriter struct {
	busy     atomic.Bool
	overlaps atomic.Int64
}

func (w *overlapWriter) Write(p []byte) (int, error) {
	if !w.busy.CompareAndSwap(false, true) {
		w.overlaps.Add(1)
		return len(p), nil
	}
	for range 10 {
		runtime.Gosched()
	}
	w.busy.Store(false)
	return len(p), nil
}
