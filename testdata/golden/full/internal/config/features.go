package config

// Features holds the settings of the optional features, one section each
// (auth.go, tasks.go). Config embeds it: a section is a field of Config
// (cfg.Tasks) and a key of its own (tasks.*). A feature's section is
// registered by its lines here, apart from the Config fields of config.go.
type Features struct {
	// Auth configures sessions, rate limits and password hashing.
	Auth Auth `mapstructure:"auth"`
	// InitialAdmin is created at start-up when no admin exists (INITIAL_ADMIN_PASSWORD…).
	InitialAdmin InitialAdmin `mapstructure:"initial_admin"`
	// Console is the operator console at /console.
	Console Console `mapstructure:"console"`
	// Tasks configures the background worker.
	Tasks Tasks `mapstructure:"tasks"`
}

// featureDefaults are the features' settings in env before any file,
// variable or flag.
func featureDefaults(env string) Features {
	return Features{
		Auth:         authDefaults(env),
		InitialAdmin: initialAdminDefaults(),
		Console:      consoleDefaults(),
		Tasks:        tasksDefaults(env),
	}
}

// validate checks the features' settings and names the first bad key.
func (f *Features) validate() error {
	return firstError(
		f.Auth.validate(),
		f.Console.validate(),
		f.Tasks.validate(),
	)
}
