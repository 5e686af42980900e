package app

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLogWriterHoldsLinesUntilFlushOrClose(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	lw := NewLogWriter(&out, time.Hour)
	logger := NewLogger(lw, "info")
	logger.Info("first")
	if out.String() != "" {
		t.Fatalf("written before a flush: %q", out.String())
	}
	if err := lw.Flush(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains([]byte(out.String()), []byte(`"msg":"first"`)) {
		t.Fatalf("flush lost the line: %q", out.String())
	}
	logger.Info("second")
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := lw.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if !bytes.Contains([]byte(out.String()), []byte(`"msg":"second"`)) {
		t.Fatalf("close lost the line: %q", out.String())
	}
}

func TestLoggerLevels(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		level       string
		debug, warn bool
	}{{"debug", true, true}, {"info", false, true}, {"warn", false, true}, {"error", false, false}, {"", false, true}} {
		var out bytes.Buffer
		l := NewLogger(&out, tc.level)
		l.Debug("d")
		l.Warn("w")
		if got := bytes.Contains(out.Bytes(), []byte(`"msg":"d"`)); got != tc.debug {
			t.Errorf("%q: debug logged = %v", tc.level, got)
		}
		if got := bytes.Contains(out.Bytes(), []byte(`"msg":"w"`)); got != tc.warn {
			t.Errorf("%q: warn logged = %v", tc.level, got)
		}
	}
}
