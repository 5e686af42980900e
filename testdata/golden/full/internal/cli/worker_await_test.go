package cli

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/buildinfo"
)

// lockedBuffer is a stream a command writes while the test reads it.
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

// A worker started before its database waits for it, as serve does, and
// then runs the queue.
func TestWorkerCommandWaitsForTheDatabaseAtStartUp(t *testing.T) {
	t.Parallel()
	dsn := taskDatabase(t, "pending")
	proxy := apptest.NewDBProxy(t, dsn)
	proxy.Cut() // the database is down when the worker starts
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := map[string]string{"DATABASE_URL": proxy.DSN(), "CONFIG_DIR": t.TempDir(), "LOG_LEVEL": "warn"}
	var stdout, stderr lockedBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- Main(ctx, []string{buildinfo.Name, "worker"}, func(k string) string { return env[k] },
			strings.NewReader(""), &stdout, &stderr)
	}()
	waiting := apptest.Eventually(30*time.Second, func() bool {
		return strings.Contains(stderr.String(), "waiting for it") || len(exit) > 0
	})
	select {
	case code := <-exit:
		t.Fatalf("worker exited with %d while the database was down; stderr %q", code, stderr.String())
	default:
	}
	if !waiting {
		t.Fatalf("worker never said it waits for the database; stderr %q", stderr.String())
	}
	proxy.Restore()

	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// The pending email task has an empty payload: once the worker runs it,
	// it fails for good.
	ran := apptest.Eventually(30*time.Second, func() bool {
		var status string
		err := conn.QueryRow(context.Background(), `SELECT status FROM tasks`).Scan(&status)
		return err == nil && status == "failed"
	})
	if !ran {
		t.Fatalf("the worker did not run the queue once the database was back; stderr %q", stderr.String())
	}
	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
