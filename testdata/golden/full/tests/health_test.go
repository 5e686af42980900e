package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/buildinfo"
	"example.com/demo/internal/config"
	"example.com/demo/internal/health"
)

type checkResult struct {
	Status    string   `json:"status"`
	Message   string   `json:"message"`
	LatencyMS *float64 `json:"latency_ms"`
}

type probeData struct {
	Status    string                 `json:"status"`
	Timestamp time.Time              `json:"timestamp"`
	Probe     string                 `json:"probe"`
	Checks    map[string]checkResult `json:"checks"`
}

func checkNames(checks map[string]checkResult) []string {
	names := make([]string, 0, len(checks))
	for name := range checks {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func wantHealthyChecks(t *testing.T, checks map[string]checkResult, names ...string) {
	t.Helper()
	if got := checkNames(checks); !slices.Equal(got, names) {
		t.Fatalf("checks = %v, want %v", got, names)
	}
	for name, c := range checks {
		if c.Status != health.StatusHealthy || c.Message == "" || c.LatencyMS == nil || *c.LatencyMS < 0 {
			t.Errorf("check %s = %+v, want healthy with message and latency", name, c)
		}
	}
}

func TestHealthReportsVersionAndUptime(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	r := app.Get("/api/v1/health")
	var data struct {
		Status  string   `json:"status"`
		Version string   `json:"version"`
		Uptime  *float64 `json:"uptime"`
	}
	r.Data(t, &data)
	if r.Status != http.StatusOK || data.Status != "healthy" || data.Version != buildinfo.Version || data.Uptime == nil || *data.Uptime < 0 {
		t.Fatalf("got %d %s", r.Status, r.Body)
	}
	if env := r.Envelope(t); env.Message != nil {
		t.Fatalf("message = %q, want null", *env.Message)
	}
}

func TestHealthDetailedShowsDatabaseCheck(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	r := app.Get("/api/v1/health/detailed")
	var data probeData
	r.Data(t, &data)
	if data.Status != "healthy" || data.Timestamp.IsZero() || data.Timestamp.Location() != time.UTC {
		t.Fatalf("got %s", r.Body)
	}
	// The tasks feature adds its worker to the detailed checks, the auth
	// feature its revocation listener.
	for _, name := range []string{"worker", "revocations"} {
		delete(data.Checks, name)
		if c, ok := object(t, object(t, r.Envelope(t).Data)["checks"])[name]; ok && !strings.Contains(string(c), `"healthy"`) {
			t.Fatalf("%s check: %s", name, c)
		}
	}
	wantHealthyChecks(t, data.Checks, "database")
}

func TestHealthLiveIsAlive(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	r := app.Get("/api/v1/health/live")
	var data probeData
	r.Data(t, &data)
	if data.Status != "alive" || data.Probe != "liveness" || data.Timestamp.IsZero() || data.Checks != nil {
		t.Fatalf("got %s", r.Body)
	}
	if got := keys(object(t, r.Envelope(t).Data)); len(got) != 3 {
		t.Fatalf("live data keys = %v, want status, timestamp, probe", got)
	}
}

func TestHealthReadyChecksDatabaseAndMigrations(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	r := app.Get("/api/v1/health/ready")
	var data probeData
	r.Data(t, &data)
	if data.Status != "ready" || data.Probe != "readiness" || data.Timestamp.IsZero() {
		t.Fatalf("got %s", r.Body)
	}
	wantHealthyChecks(t, data.Checks, "database", "migrations")
}

func TestHealthStartupChecksDatabaseAndSchema(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	r := app.Get("/api/v1/health/startup")
	var data probeData
	r.Data(t, &data)
	if data.Status != "started" || data.Probe != "startup" || data.Timestamp.IsZero() {
		t.Fatalf("got %s", r.Body)
	}
	wantHealthyChecks(t, data.Checks, "database", "schema")
}

// A database that stops answering fails every probe that needs it within the
// check timeout, and the 503 carries the probe's usual data with the failing check.
func TestProbesFailWhenDatabaseHangs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		path, code, status, check string
	}{
		{"/api/v1/health/ready", "SERVICE_UNAVAILABLE", "not_ready", "database"},
		{"/api/v1/health/startup", "SERVICE_UNAVAILABLE", "starting", "database"},
		{"/api/v1/health/detailed", "SERVICE_UNHEALTHY", "unhealthy", "database"},
	}
	for _, tc := range cases {
		t.Run(strings.TrimPrefix(tc.path, "/api/v1/"), func(t *testing.T) {
			t.Parallel()
			app := newApp(t, apptest.WithDBProxy(), apptest.WithConfig(func(c *config.Config) {
				c.HealthCheckTimeout = 50 * time.Millisecond
			}))
			app.Proxy.Stall()
			r := app.Get(tc.path)
			wantError(t, r, http.StatusServiceUnavailable, tc.code)
			var data probeData
			if err := json.Unmarshal(r.Envelope(t).Data, &data); err != nil {
				t.Fatalf("503 without data: %s", r.Body)
			}
			got := data.Checks[tc.check]
			if data.Status != tc.status || got.Status != health.StatusUnhealthy || got.Message != "timed out after 50ms" {
				t.Fatalf("got %s", r.Body)
			}
		})
	}
}

func TestHealthSummaryUnhealthyWhenDatabaseGone(t *testing.T) {
	t.Parallel()
	app := newApp(t, apptest.WithDBProxy())
	app.Proxy.Cut()
	r := app.Get("/api/v1/health")
	wantError(t, r, http.StatusServiceUnavailable, "SERVICE_UNHEALTHY")
	var data struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(r.Envelope(t).Data, &data); err != nil || data.Status != "unhealthy" || data.Version == "" {
		t.Fatalf("got %s", r.Body)
	}
}

func TestReadyFailsWhenDatabaseGone(t *testing.T) {
	t.Parallel()
	app := newApp(t, apptest.WithDBProxy())
	app.Proxy.Cut()
	r := app.Get("/api/v1/health/ready")
	wantError(t, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	var data probeData
	_ = json.Unmarshal(r.Envelope(t).Data, &data)
	if data.Status != "not_ready" || data.Probe != "readiness" || data.Checks["database"].Status != health.StatusUnhealthy {
		t.Fatalf("got %s", r.Body)
	}
}

// A database that is down at start-up does not stop the service: liveness is
// 200 and readiness 503 at once, and when the database comes back the start-up
// steps (here the migrations) finish by themselves and readiness turns 200.
func TestStartsWithDatabaseDownAndRecovers(t *testing.T) {
	t.Parallel()
	app := newApp(t, apptest.WithDatabaseDownAtStart(),
		apptest.WithConfig(func(c *config.Config) { c.AutoMigrate = true }))
	if r := app.Get("/api/v1/health/live"); r.Status != http.StatusOK {
		t.Fatalf("live: %d %s", r.Status, r.Body)
	}
	wantError(t, app.Get("/api/v1/health/ready"), http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	app.Proxy.Restore()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(app.Logs(), "start-up steps done") {
		if time.Now().After(deadline) {
			t.Fatalf("start-up steps not done 30s after the database came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := app.Get("/api/v1/health/ready"); r.Status != http.StatusOK {
		t.Fatalf("ready after recovery: %d %s", r.Status, r.Body)
	}
}

func TestLiveAnswersWhileDatabaseHangs(t *testing.T) {
	t.Parallel()
	app := newApp(t, apptest.WithDBProxy())
	app.Proxy.Stall()
	r := app.Get("/api/v1/health/live")
	var data probeData
	r.Data(t, &data)
	if data.Status != "alive" {
		t.Fatalf("got %s", r.Body)
	}
}

// Readiness follows the migration state: nothing applied, a dirty migration
// and an old version all fail it, naming the problem.
func TestReadyFailsOnMigrationState(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, sql, message string
	}{
		{"none applied", `TRUNCATE schema_migrations`, "no migration applied"},
		{"dirty", `UPDATE schema_migrations SET dirty = true`, "is dirty"},
		{"behind", `UPDATE schema_migrations SET version = 0`, "schema at version 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app := newApp(t)
			if _, err := app.DB.Exec(context.Background(), tc.sql); err != nil {
				t.Fatal(err)
			}
			r := app.Get("/api/v1/health/ready")
			wantError(t, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
			var data probeData
			_ = json.Unmarshal(r.Envelope(t).Data, &data)
			m := data.Checks["migrations"]
			if m.Status != health.StatusUnhealthy || !strings.Contains(m.Message, tc.message) || data.Checks["database"].Status != health.StatusHealthy {
				t.Fatalf("got %s", r.Body)
			}
		})
	}
}

func TestStartupFailsWhenTableMissing(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	if _, err := app.DB.Exec(context.Background(), `DROP TABLE schema_migrations`); err != nil {
		t.Fatal(err)
	}
	r := app.Get("/api/v1/health/startup")
	wantError(t, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	var data probeData
	_ = json.Unmarshal(r.Envelope(t).Data, &data)
	if data.Status != "starting" || !strings.Contains(data.Checks["schema"].Message, "schema_migrations") {
		t.Fatalf("got %s", r.Body)
	}
}

func TestMetricsCountRequestsByRoute(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	app.Get("/api/v1/health/live")
	app.Get("/api/v1/health/live")
	app.Get("/no/such/path")
	r := app.Get("/metrics")
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("got %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	body := string(r.Body)
	for _, want := range []string{
		`http_requests_total{method="GET",route="/api/v1/health/live",status="200"} 2`,
		`http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`http_request_duration_seconds_bucket{route="/api/v1/health/live",le="+Inf"} 2`,
		`http_request_duration_seconds_count{route="/api/v1/health/live"} 2`,
		"pgxpool_total_conns ",
		"pgxpool_acquire_total ",
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
