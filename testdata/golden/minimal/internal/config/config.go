// Package config holds the service settings and loads them in layers:
// defaults < config/<APP_ENV>.yaml < environment < command-line flags.
// Nothing else in the service reads the environment.
package config

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"example.com/demo/internal/buildinfo"
)

// The environments a service runs in; APP_ENV picks one.
const (
	EnvDevelopment = "development"
	EnvTest        = "test"
	EnvProduction  = "production"
)

// Config is every setting of the service. Each field's key (its mapstructure
// tag) is also its YAML key; its environment variable is the key upper-cased
// with dots turned into underscores (auth.token_ttl → AUTH_TOKEN_TTL).
type Config struct {
	// Env is APP_ENV: development (default), test or production. It chooses the
	// defaults and the YAML file, so it is read from the environment only.
	Env string `mapstructure:"-"`
	// DatabaseURL is the PostgreSQL URL. Empty in development and test starts an
	// embedded PostgreSQL; required in production.
	DatabaseURL string `mapstructure:"database_url"`
	// Database says whether DATABASE_URL goes through a connection pooler,
	// and where what needs a session of its own connects then.
	Database Database `mapstructure:"database"`
	// DBName is the database the embedded PostgreSQL creates (default: the project's).
	DBName string `mapstructure:"db_name"`
	// DataDir is where the embedded PostgreSQL of `serve` keeps its data (default .data/postgres).
	DataDir string `mapstructure:"data_dir"`
	// Host is the address the HTTP server listens on: 127.0.0.1 by default in
	// development and test, so that nobody else on the network reaches a
	// developer's service; empty (every interface) by default in production.
	Host string `mapstructure:"host"`
	// Port is the HTTP port (default: the project's).
	Port int `mapstructure:"port"`
	// LogLevel is debug, info, warn or error (default info).
	LogLevel string `mapstructure:"log_level"`
	// CORSOrigins lists the origins browsers may call from; development and test
	// default to http://localhost:3000 and http://localhost:5173, production to none.
	CORSOrigins []string `mapstructure:"cors_origins"`
	// TrustedProxies lists proxy addresses or CIDRs whose X-Forwarded-For is
	// believed (default none: the client IP is the peer address).
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// RequestTimeout bounds each request's context (default 30s).
	RequestTimeout time.Duration `mapstructure:"request_timeout"`
	// BodyLimit is the largest request body in bytes (default 2 MiB).
	BodyLimit int64 `mapstructure:"body_limit"`
	// HealthCheckTimeout bounds each health check (default 2s).
	HealthCheckTimeout time.Duration `mapstructure:"health_check_timeout"`
	// ShutdownTimeout bounds the graceful shutdown (default 15s).
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
	// AutoMigrate applies pending migrations at start-up (default true in
	// development and test, false in production: run `migrate up` as a release step).
	AutoMigrate bool `mapstructure:"auto_migrate"`
	// Docs configures the API's description: the OpenAPI document and the
	// page that renders it.
	Docs Docs `mapstructure:"docs"`
	// Tracing is read from the standard OTEL_* variables alone (tracing.go).
	Tracing Tracing `mapstructure:"-"`
	// Features holds the sections of the optional features (features.go):
	// cfg.Tasks, keys tasks.*.
	Features `mapstructure:",squash"`
}

// Docs configures GET /api/v1/openapi.json and the page GET /api/v1/docs.
// The environment variable is DOCS_ENABLED.
type Docs struct {
	// Enabled serves both routes (default true; false in production, where the
	// page's looser Content-Security-Policy and the map of every route, admin
	// ones included, are better opted into; the openapi command prints the document
	// without a running service).
	Enabled bool `mapstructure:"enabled"`
}

// Defaults returns the settings of env before any file, variable or flag.
func Defaults(env string) Config {
	c := Config{
		Env:                env,
		DBName:             buildinfo.DefaultDBName,
		DataDir:            ".data/postgres",
		Host:               "127.0.0.1",
		Port:               buildinfo.DefaultPort,
		LogLevel:           "info",
		CORSOrigins:        []string{"http://localhost:3000", "http://localhost:5173"},
		TrustedProxies:     []string{},
		RequestTimeout:     30 * time.Second,
		BodyLimit:          2 << 20,
		HealthCheckTimeout: 2 * time.Second,
		ShutdownTimeout:    15 * time.Second,
		AutoMigrate:        true,
		Docs:               Docs{Enabled: true},
		Database:           databaseDefaults(),
		Features:           featureDefaults(env),
	}
	if env == EnvProduction {
		c.Host = ""
		c.CORSOrigins = []string{}
		c.AutoMigrate = false
		c.Docs.Enabled = false
	}
	return c
}

// IsProduction reports whether the service runs in production.
func (c *Config) IsProduction() bool { return c.Env == EnvProduction }

// Addr is the listen address: Host and Port.
func (c *Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// Validate checks every setting and names the first bad key.
func (c *Config) Validate() error {
	return firstError(
		c.validateCore(),
		c.validateDatabase(),
		c.Features.validate(),
	)
}

// firstError is the first of errs that is not nil.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateCore() error {
	switch {
	case c.Env != EnvDevelopment && c.Env != EnvTest && c.Env != EnvProduction:
		return Invalid("app_env", "must be development, test or production", c.Env)
	case c.IsProduction() && c.DatabaseURL == "":
		return Invalid("database_url", "is required in production", c.DatabaseURL)
	case !validHost(c.Host):
		return Invalid("host", "must be empty (every interface), an IP address or a host name", c.Host)
	case c.Port < 1 || c.Port > 65535:
		return Invalid("port", "must be 1–65535", c.Port)
	case !validLevel(c.LogLevel):
		return Invalid("log_level", "must be debug, info, warn or error", c.LogLevel)
	case c.RequestTimeout <= 0:
		return Invalid("request_timeout", "must be positive", c.RequestTimeout)
	case c.BodyLimit < 1:
		return Invalid("body_limit", "must be at least 1 byte", c.BodyLimit)
	case c.HealthCheckTimeout <= 0:
		return Invalid("health_check_timeout", "must be positive", c.HealthCheckTimeout)
	case c.ShutdownTimeout <= 0:
		return Invalid("shutdown_timeout", "must be positive", c.ShutdownTimeout)
	case c.DBName == "":
		return Invalid("db_name", "must not be empty", c.DBName)
	}
	for _, o := range c.CORSOrigins {
		if !validOrigin(o) {
			return Invalid("cors_origins", "each origin must be scheme://host[:port] without a path", o)
		}
	}
	for _, p := range c.TrustedProxies {
		if !validProxy(p) {
			return Invalid("trusted_proxies", "each entry must be an IP address or a CIDR", p)
		}
	}
	return nil
}

func validHost(h string) bool {
	if h == "" {
		return true
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return len(h) <= 253
}

func validProxy(p string) bool {
	if _, err := netip.ParseAddr(p); err == nil {
		return true
	}
	_, err := netip.ParsePrefix(p)
	return err == nil
}

// Invalid is the error of a bad setting, named by its environment variable:
// `config: PORT: must be 1–65535, got 70000`.
func Invalid(key, rule string, got any) error {
	if s, ok := got.(string); ok {
		return fmt.Errorf("config: %s: %s, got %q", EnvName(key), rule, s)
	}
	return fmt.Errorf("config: %s: %s, got %v", EnvName(key), rule, got)
}

// EnvName is the environment variable of a key: auth.token_ttl → AUTH_TOKEN_TTL.
func EnvName(key string) string {
	return strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

func validLevel(s string) bool {
	switch strings.ToLower(s) {
	case "debug", "info", "warn", "error":
		return true
	}
	return false
}

func validOrigin(o string) bool {
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || (scheme != "http" && scheme != "https") || rest == "" {
		return false
	}
	return !strings.ContainsAny(rest, "/?#* ")
}
