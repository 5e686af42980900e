package app

import (
	"example.com/demo/internal/config"
	"example.com/demo/internal/console"
)

// consoleFeature is the operator console at /console, on auth's sessions
// and roles (console.enabled turns it off). Features wired after it add
// their sections to w.console.
type consoleFeature struct{}

func (consoleFeature) wire(w *wiring) error {
	if !w.cfg.Console.Enabled {
		return nil
	}
	c, err := console.New(w.deps.Auth, w.checks, w.logger, console.Settings{
		SecureCookies: w.cfg.Env != config.EnvDevelopment,
		PollInterval:  w.cfg.Console.PollInterval,
	})
	if err != nil {
		return err
	}
	w.console = c
	w.deps.Pages = append(w.deps.Pages, c.Routes)
	return nil
}
