package config

import (
	"strconv"
	"strings"
	"testing"

	"example.com/demo/internal/buildinfo"
)

// Outside production the server listens on the loopback interface only, so
// that nobody on the developer's network reaches it; production listens on
// every interface. HOST changes either.
func TestListenAddressPerEnvironment(t *testing.T) {
	t.Parallel()
	port := strconv.Itoa(buildinfo.DefaultPort)
	tests := []struct {
		env  string
		vars map[string]string
		addr string
	}{
		{EnvDevelopment, nil, "127.0.0.1:" + port},
		{EnvTest, nil, "127.0.0.1:" + port},
		{EnvProduction, map[string]string{"DATABASE_URL": "postgres://db/app"}, ":" + port},
		{EnvDevelopment, map[string]string{"HOST": "0.0.0.0"}, "0.0.0.0:" + port},
		{EnvDevelopment, map[string]string{"HOST": "::1", "PORT": "9000"}, "[::1]:9000"},
		{EnvProduction, map[string]string{"DATABASE_URL": "postgres://db/app", "HOST": "10.0.0.5"}, "10.0.0.5:" + port},
	}
	for _, tt := range tests {
		vars := map[string]string{"APP_ENV": tt.env, "CONFIG_DIR": t.TempDir()}
		for k, v := range tt.vars {
			vars[k] = v
		}
		cfg, err := Load(envOf(vars), nil)
		if err != nil {
			t.Fatalf("%s %v: %v", tt.env, tt.vars, err)
		}
		if got := cfg.Addr(); got != tt.addr {
			t.Fatalf("%s %v: Addr() = %q, want %q", tt.env, tt.vars, got, tt.addr)
		}
	}
	_, err := Load(envOf(map[string]string{"CONFIG_DIR": t.TempDir(), "HOST": "not a host"}), nil)
	if err == nil || !strings.Contains(err.Error(), "HOST") {
		t.Fatalf("a bad HOST: %v, want an error naming HOST", err)
	}
}
