package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// envOf turns a map into a getenv.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeConfig(t *testing.T, env, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, env+".yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadLayersDefaultsFileEnvFlags(t *testing.T) {
	t.Parallel()
	dir := writeConfig(t, "development", "port: 9000\nlog_level: warn\n")
	cases := []struct {
		name  string
		env   map[string]string
		flags map[string]any
		port  int
	}{
		{"file", map[string]string{}, nil, 9000},
		{"env over file", map[string]string{"PORT": "9100"}, nil, 9100},
		{"flag over env", map[string]string{"PORT": "9100"}, map[string]any{"port": 9200}, 9200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.env["CONFIG_DIR"] = dir
			cfg, err := Load(envOf(tc.env), tc.flags)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Port != tc.port || cfg.LogLevel != "warn" || cfg.Env != EnvDevelopment {
				t.Fatalf("port %d level %s env %s", cfg.Port, cfg.LogLevel, cfg.Env)
			}
			if cfg.BodyLimit != 2<<20 || cfg.HealthCheckTimeout != 2*time.Second {
				t.Fatalf("defaults lost: %+v", cfg)
			}
		})
	}
}

func TestLoadWithoutFileUsesDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Load(envOf(map[string]string{"CONFIG_DIR": t.TempDir(), "APP_ENV": "test"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://localhost:3000", "http://localhost:5173"}
	if cfg.Env != EnvTest || !slices.Equal(cfg.CORSOrigins, want) || !cfg.AutoMigrate {
		t.Fatalf("%+v", cfg)
	}
}

func TestLoadRejectsBadValuesNamingTheKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"port not a number", map[string]string{"PORT": "abc"}, `config: PORT: must be 1–65535, got "abc"`},
		{"port out of range", map[string]string{"PORT": "70000"}, `config: PORT: must be 1–65535, got 70000`},
		{"bad duration", map[string]string{"REQUEST_TIMEOUT": "soon"}, `config: REQUEST_TIMEOUT: must be a duration such as 30s or 5m, got "soon"`},
		{"bad bool", map[string]string{"AUTO_MIGRATE": "maybe"}, `config: AUTO_MIGRATE: must be true or false, got "maybe"`},
		{"bad level", map[string]string{"LOG_LEVEL": "loud"}, `config: LOG_LEVEL: must be debug, info, warn or error, got "loud"`},
		{"bad env", map[string]string{"APP_ENV": "staging"}, `config: APP_ENV: must be development, test or production, got "staging"`},
		{"origin with path", map[string]string{"CORS_ORIGINS": "http://a.example/x"}, `config: CORS_ORIGINS: each origin must be scheme://host[:port] without a path, got "http://a.example/x"`},
		{"production without database", map[string]string{"APP_ENV": "production"}, `config: DATABASE_URL: is required in production, got ""`},
		{"bad proxy", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,lb.local"}, `config: TRUSTED_PROXIES: each entry must be an IP address or a CIDR, got "lb.local"`},
		{"zero body limit", map[string]string{"BODY_LIMIT": "0"}, `config: BODY_LIMIT: must be at least 1 byte, got 0`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.env["CONFIG_DIR"] = t.TempDir()
			_, err := Load(envOf(tc.env), nil)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v, want %s", err, tc.want)
			}
		})
	}
}

func TestLoadRejectsUnknownYAMLKey(t *testing.T) {
	t.Parallel()
	dir := writeConfig(t, "development", "port: 9000\nprot: 1\n")
	_, err := Load(envOf(map[string]string{"CONFIG_DIR": dir}), nil)
	if err == nil || !strings.Contains(err.Error(), `unknown key "prot"`) {
		t.Fatalf("got %v", err)
	}
}

func TestLoadRejectsUnknownFlagKey(t *testing.T) {
	t.Parallel()
	_, err := Load(envOf(map[string]string{"CONFIG_DIR": t.TempDir()}), map[string]any{"nope": 1})
	if err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("got %v", err)
	}
}

func TestLoadSplitsCORSOrigins(t *testing.T) {
	t.Parallel()
	cfg, err := Load(envOf(map[string]string{
		"CONFIG_DIR":   t.TempDir(),
		"CORS_ORIGINS": " https://a.example , https://b.example:8443,",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://a.example", "https://b.example:8443"}; !slices.Equal(cfg.CORSOrigins, want) {
		t.Fatalf("got %q", cfg.CORSOrigins)
	}
}

func TestProductionDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Load(envOf(map[string]string{
		"CONFIG_DIR":   t.TempDir(),
		"APP_ENV":      "production",
		"DATABASE_URL": "postgres://db.example/app",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AutoMigrate || len(cfg.CORSOrigins) != 0 || !cfg.IsProduction() {
		t.Fatalf("%+v", cfg)
	}
}

// A YAML file sets values of every kind a setting has: numbers, strings,
// lists, durations and booleans.
func TestLoadReadsEveryKindFromYAML(t *testing.T) {
	t.Parallel()
	dir := writeConfig(t, "production", `port: 9000
log_level: warn
cors_origins:
  - https://app.example
trusted_proxies: [10.0.0.0/8]
request_timeout: 5s
body_limit: 1024
auto_migrate: true
`)
	cfg, err := Load(envOf(map[string]string{
		"CONFIG_DIR": dir, "APP_ENV": "production", "DATABASE_URL": "postgres://db.example/app",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{cfg.Port, cfg.LogLevel, cfg.CORSOrigins, cfg.TrustedProxies, cfg.RequestTimeout, cfg.BodyLimit, cfg.AutoMigrate}
	want := []any{9000, "warn", []string{"https://app.example"}, []string{"10.0.0.0/8"}, 5 * time.Second, int64(1024), true}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
