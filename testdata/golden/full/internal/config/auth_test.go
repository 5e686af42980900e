package config

import (
	"testing"
	"time"
)

// The auth sections load like any other setting: from the file, the
// environment and flags, under their own keys.
func TestAuthSectionLoads(t *testing.T) {
	t.Parallel()
	dir := writeConfig(t, "development", "auth:\n  session_lifetime: 2h\ninitial_admin:\n  username: root_admin\n")
	cfg, err := Load(envOf(map[string]string{"CONFIG_DIR": dir, "AUTH_CACHE_TTL": "0s"}),
		map[string]any{"auth.login_ip_failures": 7})
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Auth
	if a.SessionLifetime != 2*time.Hour || a.CacheTTL != 0 || a.LoginIPFailures != 7 || cfg.InitialAdmin.Username != "root_admin" {
		t.Errorf("auth = %+v, initial admin %+v", a, cfg.InitialAdmin)
	}
	if a.RefreshInterval != 5*time.Minute {
		t.Errorf("defaults lost: %+v", a)
	}
	if _, err := Load(envOf(map[string]string{"CONFIG_DIR": dir, "AUTH_IP_REQUESTS": "0"}), nil); err == nil ||
		err.Error() != `config: AUTH_IP_REQUESTS: must be at least 1, got 0` {
		t.Errorf("bad value: %v", err)
	}
}
