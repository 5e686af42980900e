package config

import "time"

// Console configures the operator console at /console (part of the `auth`
// feature). Environment variables are CONSOLE_<FIELD>, e.g. CONSOLE_ENABLED.
type Console struct {
	// Enabled serves the console (default true). Off, /console is 404 like
	// any unknown path.
	Enabled bool `mapstructure:"enabled"`
	// PollInterval is how often an open console page asks for fresh figures
	// (default 2s; at least 1s).
	PollInterval time.Duration `mapstructure:"poll_interval"`
}

func consoleDefaults() Console {
	return Console{Enabled: true, PollInterval: 2 * time.Second}
}

func (c *Console) validate() error {
	if c.PollInterval < time.Second {
		return Invalid("console.poll_interval", "must be at least 1s", c.PollInterval)
	}
	return nil
}
