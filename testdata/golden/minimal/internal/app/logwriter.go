package app

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// LogWriter batches log lines so that a busy service makes one write(2) per
// interval (or per 64 KiB) instead of one per request. Lines reach the
// underlying writer at the latest one interval after they were logged; Close
// writes what is left.
type LogWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// NewLogWriter starts flushing into w every interval (100ms when not positive).
func NewLogWriter(w io.Writer, interval time.Duration) *LogWriter {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	lw := &LogWriter{buf: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go lw.flushEvery(interval)
	return lw
}

// Write buffers p; slog hands over one whole line per call.
func (lw *LogWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.buf.Write(p)
}

// Flush writes the buffered lines now.
func (lw *LogWriter) Flush() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.buf.Flush()
}

// Close stops the periodic flush and writes what is left.
func (lw *LogWriter) Close() error {
	select {
	case <-lw.stop:
	default:
		close(lw.stop)
		<-lw.done
	}
	return lw.Flush()
}

func (lw *LogWriter) flushEvery(interval time.Duration) {
	defer close(lw.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = lw.Flush()
		case <-lw.stop:
			return
		}
	}
}
