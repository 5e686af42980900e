package app

import "example.com/demo/internal/config"

// LoadConfig loads the configuration (config.Load) and checks it with
// CheckConfig: the commands take their settings from here.
func LoadConfig(getenv func(string) string, flags map[string]any) (*config.Config, error) {
	cfg, err := config.Load(getenv, flags)
	if err != nil {
		return nil, err
	}
	if err := CheckConfig(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// CheckConfig validates cfg (config.Validate), then the settings whose rules
// belong to a feature's package, which config does not import (the initial
// admin's password must pass auth's password rules).
func CheckConfig(cfg *config.Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	for _, f := range features() {
		if c, ok := f.(configChecker); ok {
			if err := c.checkConfig(cfg); err != nil {
				return err
			}
		}
	}
	return nil
}
