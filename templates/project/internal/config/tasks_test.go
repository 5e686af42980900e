package config

import (
	"testing"
	"time"
)

// The tasks section loads like any other setting: from the file, the
// environment and flags, under its own keys.
func TestTasksSectionLoads(t *testing.T) {
	t.Parallel()
	dir := writeConfig(t, "production", "tasks:\n  concurrency: 3\n")
	env := map[string]string{"CONFIG_DIR": dir, "APP_ENV": "production", "DATABASE_URL": "postgres://db/app",
		"TASKS_POLL_INTERVAL": "2s"}
	cfg, err := Load(envOf(env), map[string]any{"tasks.worker": false})
	if err != nil {
		t.Fatal(err)
	}
	ts := cfg.Tasks
	if ts.Concurrency != 3 || ts.PollInterval != 2*time.Second || ts.Worker || ts.BreakerFailureThreshold != 5 {
		t.Errorf("tasks = %+v", ts)
	}
	env["TASKS_LEASE"] = "1ms"
	if _, err := Load(envOf(env), nil); err == nil || err.Error() != `config: TASKS_LEASE: must be at least 100ms, got 1ms` {
		t.Errorf("bad value: %v", err)
	}
}
