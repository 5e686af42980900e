package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/starter-go/starter/templates/project/internal/apperr"
	"github.com/starter-go/starter/templates/project/internal/auth"
	"github.com/starter-go/starter/templates/project/internal/config"
	"github.com/starter-go/starter/templates/project/internal/health"
	"github.com/starter-go/starter/templates/project/internal/httpapi"
)

// authFeature is accounts, sessions and roles.
type authFeature struct{}

func (authFeature) wire(w *wiring) error {
	svc, err := auth.NewService(w.pool, AuthSettings(w.cfg), w.logger)
	if err != nil {
		return err
	}
	w.deps.Auth = svc
	w.deps.Routes = append(w.deps.Routes, httpapi.AuthRoutes)
	w.tables = append(w.tables, "users", "sessions", "rate_limits", "cluster_jobs")
	watch := svc.ListenRevocations
	if !w.listening {
		watch = svc.PollRevocations
	}
	w.background = append(w.background,
		func(ctx context.Context) error { svc.RunCleanup(ctx); return nil },
		func(ctx context.Context) error { return watch(ctx, w.direct) })
	w.checks.Register("revocations", health.Detailed, svc.CheckRevocations)
	w.startup = append(w.startup, func(ctx context.Context) error {
		_, err := svc.EnsureInitialAdmin(ctx, initialAdmin(w.cfg))
		return err
	})
	return nil
}

func (authFeature) checkConfig(cfg *config.Config) error { return checkInitialAdmin(cfg) }

// AuthSettings are the settings of auth.NewService from the configuration.
func AuthSettings(cfg *config.Config) auth.Settings {
	a := cfg.Auth
	ttl := a.CacheTTL
	if ttl == 0 {
		ttl = -1 // the setting's 0 turns the cache off; the service's 0 is its default
	}
	return auth.Settings{
		SessionLifetime:      a.SessionLifetime,
		SessionIdleTimeout:   a.SessionIdleTimeout,
		RefreshInterval:      a.RefreshInterval,
		ActivityInterval:     a.ActivityInterval,
		CacheTTL:             ttl,
		CleanupInterval:      a.CleanupInterval,
		LoginAccountFailures: a.LoginAccountFailures,
		LoginAccountWindow:   a.LoginAccountWindow,
		LoginIPFailures:      a.LoginIPFailures,
		LoginIPWindow:        a.LoginIPWindow,
		IPRequests:           a.IPRequests,
		IPRequestWindow:      a.IPRequestWindow,
		Hash: auth.HashParams{
			MemoryKiB:   uint32(a.HashMemoryKiB),
			Iterations:  uint32(a.HashIterations),
			Parallelism: uint8(a.HashParallelism),
		},
		HashConcurrency:     a.HashConcurrency,
		RevocationHeartbeat: a.RevocationHeartbeat,
		Now:                 a.Now,
	}
}

// initialAdmin is the account auth.Service.EnsureInitialAdmin creates.
func initialAdmin(cfg *config.Config) auth.InitialAdmin {
	ia := cfg.InitialAdmin
	return auth.InitialAdmin{Username: ia.Username, Email: ia.Email, Password: ia.Password,
		PasswordKey: config.EnvName("initial_admin.password")}
}

// checkInitialAdmin refuses an initial admin that could never be created,
// by auth's own rules. The password is never echoed.
func checkInitialAdmin(cfg *config.Config) error {
	ia := cfg.InitialAdmin
	if ia.Password == "" {
		return nil
	}
	if err := auth.ValidatePassword("password", ia.Password); err != nil {
		return fmt.Errorf("config: %s: %s", config.EnvName("initial_admin.password"), ruleOf(err))
	}
	if err := auth.ValidateUsername("username", ia.Username); err != nil {
		return config.Invalid("initial_admin.username", ruleOf(err), ia.Username)
	}
	if err := auth.ValidateEmail("email", ia.Email); err != nil {
		return config.Invalid("initial_admin.email", ruleOf(err), ia.Email)
	}
	return nil
}

// ruleOf is the rule a validation error states, without its field's name.
func ruleOf(err error) string {
	if e, ok := apperr.As(err); ok {
		return strings.TrimPrefix(e.Message, "Validation failed for "+e.Field+": ")
	}
	return err.Error()
}
