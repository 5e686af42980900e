package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/demo/internal/buildinfo"
	"example.com/demo/internal/database"
	"example.com/demo/internal/platform/pgtest"
)

type syncBuffer struct {
	mu sync.Mutex
	sb strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// serve runs until its context ends, then shuts down cleanly with exit code 0,
// also configured as behind a transaction pooler, with and without a direct
// URL (the database itself here; tests/ run behind a real PgBouncer), and
// logs how it reaches the database.
func TestServeAnswersThenShutsDownOnCancel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		pooled map[string]string
		log    string
	}{
		{"direct", nil, `"pooler":"none"`},
		{"behind a transaction pooler", map[string]string{"DATABASE_POOLER": "transaction"}, `"listen":"polling"`},
		{"behind a transaction pooler with a direct URL", map[string]string{"DATABASE_POOLER": "transaction",
			"DATABASE_DIRECT_URL": "direct"}, `"direct_url":true`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			serveUntilCancel(t, tc.pooled, tc.log)
		})
	}
}

func serveUntilCancel(t *testing.T, pooled map[string]string, wantLog string) {
	t.Helper()
	m, err := database.NewMigrator()
	if err != nil {
		t.Fatal(err)
	}
	dsn := pgtest.NewDatabase(t, m)
	env := map[string]string{"DATABASE_URL": dsn, "CONFIG_DIR": t.TempDir(), "APP_ENV": "test"}
	for k, v := range pooled {
		env[k] = strings.ReplaceAll(v, "direct", dsn)
	}
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- Main(ctx, []string{buildinfo.Name, "serve", "--port", strconv.Itoa(port)},
			func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, &stderr)
	}()

	url := fmt.Sprintf("http://127.0.0.1:%d/api/v1/health/ready", port)
	var resp *http.Response
	for range 200 {
		if resp, err = http.Get(url); err == nil {
			break
		}
		select {
		case code := <-exit:
			t.Fatalf("serve exited with %d before answering: %s", code, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err != nil {
		t.Fatalf("serve never answered: %v\n%s", err, stderr.String())
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ready answered %d", resp.StatusCode)
	}
	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("exit %d after cancel: %s", code, stderr.String())
	}
	out := stderr.String()
	for _, want := range []string{"migrating…", fmt.Sprintf("listening on http://127.0.0.1:%d", port), `"msg":"shutting down"`,
		`"msg":"database connections"`, wantLog} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
}
