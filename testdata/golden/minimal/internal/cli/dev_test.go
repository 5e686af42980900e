package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeServers records what the dev loop builds, starts and stops.
type fakeServers struct {
	mu     sync.Mutex
	events []string
	broken map[int]bool // builds that fail
}

func (f *fakeServers) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, s)
}

func (f *fakeServers) build(_ context.Context, n int) (string, error) {
	if f.broken[n] {
		f.record("build failed")
		return "", errors.New("syntax error")
	}
	bin := "bin" + string(rune('0'+n))
	f.record("build " + bin)
	return bin, nil
}

func (f *fakeServers) start(bin string) (stopper, error) {
	f.record("start " + bin)
	return fakeServer{f, bin}, nil
}

type fakeServer struct {
	f   *fakeServers
	bin string
}

func (s fakeServer) stop() error { s.f.record("stop " + s.bin); return nil }

// A change rebuilds and then replaces the server; a failed build leaves the
// running one alone; the end stops it.
func TestDevLoopRestartsOnChangeAndKeepsServingThroughBrokenBuilds(t *testing.T) {
	t.Parallel()
	f := &fakeServers{broken: map[int]bool{3: true}}
	changes := make(chan struct{})
	var log strings.Builder
	loop := devLoop{build: f.build, start: f.start, changes: changes, log: &log}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- loop.run(ctx) }()
	// Each send waits for the loop to be back waiting: the previous
	// restart is complete.
	for range 3 {
		changes <- struct{}{}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := []string{
		"build bin1", "start bin1",
		"build bin2", "stop bin1", "start bin2",
		"build failed",
		"build bin4", "stop bin2", "start bin4",
		"stop bin4",
	}
	if !slices.Equal(f.events, want) {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(f.events, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(log.String(), "build failed (syntax error); waiting for a change") {
		t.Errorf("log %q does not report the failed build", log.String())
	}
}

// The fingerprint changes with the sources the server is built or
// configured from, and not with tests, the local database or hidden files.
func TestDevFingerprintWatchesSourcesOnly(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"go.mod", "internal/x/x.go", "internal/x/x_test.go", "config/development.yaml",
		"migrations/000001_core.up.sql", ".env", ".data/postgres/PG_VERSION", ".github/workflows/ci.yml", "README.md"} {
		write(name, "v1")
	}
	cases := []struct {
		file    string
		changed bool
	}{
		{"internal/x/x.go", true},
		{"internal/x/new.go", true},
		{"config/development.yaml", true},
		{"migrations/000001_core.up.sql", true},
		{"go.mod", true},
		{".env", true},
		{"internal/x/x_test.go", false},
		{".data/postgres/PG_VERSION", false},
		{".github/workflows/ci.yml", false},
		{"node_modules/some/package.yaml", false},
		{".git/index", false},
		{"bin/app", false},
		{"README.md", false},
	}
	for _, tc := range cases {
		before := fingerprint(root)
		write(tc.file, "a different length "+tc.file) // a new size: seen whatever the clock's resolution
		if changed := fingerprint(root) != before; changed != tc.changed {
			t.Errorf("%s edited: changed = %v, want %v", tc.file, changed, tc.changed)
		}
	}
}

func TestDevRefusesProduction(t *testing.T) {
	t.Parallel()
	r := run(t, map[string]string{"APP_ENV": "production", "DATABASE_URL": "postgres://db.example/x"}, "dev")
	if r.code != 1 || !strings.Contains(r.stderr, "dev: runs in development and test only") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}
