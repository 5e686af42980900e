package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"example.com/demo/internal/platform/pgembed"
)

// dev-db finds the local database's data wherever it lives (as root, outside the project), and
// drops it, but not while a server runs in it.
func TestDevDBStatusAndDrop(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), ".data", "postgres")
	env := func() map[string]string { return map[string]string{"DATA_DIR": dataDir, "APP_ENV": "test"} }
	if r := run(t, env(), "dev-db", "status"); r.code != 0 || !strings.Contains(r.stdout, "no local database") {
		t.Fatalf("status before any serve: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	srv, err := pgembed.Start(context.Background(), pgembed.Options{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop(context.Background()) })

	r := run(t, env(), "dev-db", "status")
	for _, want := range []string{"data:    " + srv.DataDir, fmt.Sprintf("running (pid %d)", srv.PID())} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("status while serving: exit %d, stdout lacks %q:\n%s%s", r.code, want, r.stdout, r.stderr)
		}
	}
	if r := run(t, env(), "dev-db", "drop"); r.code != 1 || !strings.Contains(r.stderr, "stop it first") {
		t.Errorf("drop while serving: exit %d, %q", r.code, r.stderr)
	}
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := run(t, env(), "dev-db", "drop"); r.code != 0 || !strings.Contains(r.stdout, "removed "+srv.DataDir) {
		t.Errorf("drop: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(srv.DataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists after drop (stat: %v)", srv.DataDir, err)
	}
	if r := run(t, env(), "dev-db", "status"); !strings.Contains(r.stdout, "no local database") {
		t.Errorf("status after drop: %q", r.stdout)
	}
}
