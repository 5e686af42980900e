package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
)

// configKeys are the settings of `starter new` that the environment
// (STARTER_<KEY>) and the config file may set, besides its flags.
var configKeys = []string{"module", "module_prefix", "dir", "features", "db-name", "port", //nolint:gochecknoglobals // a table that is never written
	"yes", "no-input", "dry-run", "git", "no-git", "force"}

// loadSettings layers the settings into e.v, highest first: flags, then
// STARTER_* environment variables, then $XDG_CONFIG_HOME/starter/config.yaml,
// then the flags' defaults. The environment is merged over the file, so both
// sit below the bound flags.
func (e *env) loadSettings(flags *pflag.FlagSet) error {
	if path := e.configFile(); path != "" {
		e.v.SetConfigFile(path)
		if err := e.v.ReadInConfig(); err != nil {
			return fmt.Errorf("config file %s: %w", path, err)
		}
	}
	fromEnv := map[string]any{}
	for _, k := range configKeys {
		if val, ok := e.lookupEnv(envName(k)); ok {
			fromEnv[k] = val
		}
	}
	if err := e.v.MergeConfigMap(fromEnv); err != nil {
		return err
	}
	var err error
	flags.VisitAll(func(f *pflag.Flag) {
		if err == nil && f.Name != "help" {
			err = e.v.BindPFlag(f.Name, f)
		}
	})
	return err
}

// envName is the environment variable of a setting: db-name → STARTER_DB_NAME.
func envName(key string) string {
	return "STARTER_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

func (e *env) lookupEnv(name string) (string, bool) {
	v := e.getenv(name)
	return v, v != ""
}

// configFile is $XDG_CONFIG_HOME/starter/config.yaml (XDG_CONFIG_HOME defaults
// to ~/.config), or "" when it does not exist.
func (e *env) configFile() string {
	base := e.getenv("XDG_CONFIG_HOME")
	if base == "" {
		home := e.getenv("HOME")
		if home == "" {
			return ""
		}
		base = filepath.Join(home, ".config")
	}
	path := filepath.Join(base, "starter", "config.yaml")
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	return path
}
