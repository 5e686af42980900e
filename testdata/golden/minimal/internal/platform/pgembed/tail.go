package pgembed

import (
	"io"
	"sync"
)

// tailSize bounds how much server output is kept for error messages.
const tailSize = 8 << 10

// tail keeps the last tailSize bytes of a process's output for error messages and copies all of it
// to an optional writer. initdb and postgres write from several processes at once, hence the lock.
type tail struct {
	mu   sync.Mutex
	buf  []byte
	copy io.Writer
}

func newTail(w io.Writer) *tail {
	return &tail{copy: w}
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	if t.copy != nil {
		_, _ = t.copy.Write(p) // a failing log writer must not stop the server
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

func (t *tail) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = t.buf[:0]
}
