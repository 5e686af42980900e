package tests

import (
	"net/http"
	"strings"
	"testing"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/config"
)

// A service configured as behind a connection pooler in transaction mode
// starts on an empty database (its start-up migrations take their lock
// through the pooler), serves, and logs how it reaches the database, both
// without and with a direct URL. Under `make test-pgbouncer` its
// DATABASE_URL is a PgBouncer in transaction mode; in the plain run it is
// the database itself, which the service treats the same way.
func TestPoolerServesWithAndWithoutDirectURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opt    apptest.Option
		direct bool
	}{
		{"without a direct URL", apptest.WithPooler(), false},
		{"with a direct URL", apptest.WithDirectURL(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app := newApp(t, tc.opt, apptest.WithEmptyDatabase(),
				apptest.WithConfig(func(c *config.Config) { c.AutoMigrate = true }))
			for _, path := range []string{"/api/v1/health/ready", "/api/v1/health/startup", "/api/v1/health/detailed"} {
				wantStatus(t, app.Get(path), http.StatusOK)
			}
			logs := app.Logs()
			listen := map[bool]string{true: `"listen":"LISTEN"`, false: `"listen":"polling"`}[tc.direct]
			for _, want := range []string{`"msg":"database connections"`, `"pooler":"transaction"`,
				`"query_exec_mode":"exec"`, listen} {
				if !strings.Contains(logs, want) {
					t.Errorf("the start-up log lacks %s:\n%s", want, logs)
				}
			}
		})
	}
}
