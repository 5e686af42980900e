package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"
)

// Load reads the configuration of the environment named by APP_ENV:
// defaults, then <CONFIG_DIR>/<APP_ENV>.yaml (CONFIG_DIR defaults to "config",
// relative to the working directory; a missing file is fine, an unknown key
// in it is not), then environment variables, then flags (keyed like the YAML,
// e.g. "port"). The result is validated.
func Load(getenv func(string) string, flags map[string]any) (*Config, error) {
	env := getenv("APP_ENV")
	if env == "" {
		env = EnvDevelopment
	}
	defaults := Defaults(env)
	if err := defaults.validateEnv(); err != nil {
		return nil, err
	}
	known := flatten(reflect.ValueOf(defaults), "")
	v := viper.New()
	for key, val := range known {
		v.SetDefault(key, val.Interface())
	}
	dir := getenv("CONFIG_DIR")
	if dir == "" {
		dir = "config"
	}
	if err := mergeFile(v, filepath.Join(dir, env+".yaml"), known); err != nil {
		return nil, err
	}
	if err := mergeEnv(v, getenv, known); err != nil {
		return nil, err
	}
	for key, val := range flags {
		if _, ok := known[key]; !ok {
			return nil, fmt.Errorf("config: unknown flag key %q", key)
		}
		v.Set(key, val)
	}
	cfg := defaults
	if err := v.Unmarshal(&cfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg.Env = env
	tracing, err := loadTracing(getenv)
	if err != nil {
		return nil, err
	}
	cfg.Tracing = tracing
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func (c *Config) validateEnv() error {
	if c.Env != EnvDevelopment && c.Env != EnvTest && c.Env != EnvProduction {
		return Invalid("app_env", "must be development, test or production", c.Env)
	}
	return nil
}

// mergeFile merges a YAML file, refusing keys the Config does not have.
func mergeFile(v *viper.Viper, path string, known map[string]reflect.Value) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	file := viper.New()
	file.SetConfigType("yaml")
	if err := file.ReadConfig(bytes.NewReader(data)); err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	keys := file.AllKeys()
	slices.Sort(keys)
	for _, key := range keys {
		if _, ok := known[key]; !ok {
			return fmt.Errorf("config: %s: unknown key %q", path, key)
		}
	}
	v.SetConfigType("yaml")
	if err := v.MergeConfig(bytes.NewReader(data)); err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	return nil
}

// mergeEnv sets every key whose variable is set, parsed to the key's type so
// that a bad value is reported with the variable's name.
func mergeEnv(v *viper.Viper, getenv func(string) string, known map[string]reflect.Value) error {
	keys := make([]string, 0, len(known))
	for key := range known {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		raw := getenv(EnvName(key))
		if raw == "" {
			continue
		}
		val, err := parseAs(known[key], raw)
		if err != nil {
			return Invalid(key, ruleFor(key, err.Error()), raw)
		}
		v.Set(key, val)
	}
	return nil
}

// rules words parse errors of keys whose valid range is narrower than their type.
var rules = map[string]string{ //nolint:gochecknoglobals // a table that is never written
	"port": "must be 1–65535",
}

func ruleFor(key, fallback string) string {
	if r, ok := rules[key]; ok {
		return r
	}
	return fallback
}

var durationType = reflect.TypeFor[time.Duration]() //nolint:gochecknoglobals // a constant that Go cannot spell as one

func parseAs(like reflect.Value, raw string) (any, error) {
	switch {
	case like.Type() == durationType:
		d, err := time.ParseDuration(strings.TrimSpace(raw))
		if err != nil {
			return nil, errors.New("must be a duration such as 30s or 5m")
		}
		return d, nil
	case like.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return nil, errors.New("must be true or false")
		}
		return b, nil
	case like.CanInt():
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil {
			return nil, errors.New("must be an integer")
		}
		return n, nil
	case like.CanFloat():
		f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil {
			return nil, errors.New("must be a number")
		}
		return f, nil
	case like.Kind() == reflect.Slice:
		return splitList(raw), nil
	default:
		return raw, nil
	}
}

func splitList(raw string) []string {
	out := []string{}
	for part := range strings.SplitSeq(raw, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// flatten lists the leaf settings of a Config section by dotted key.
func flatten(v reflect.Value, prefix string) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("mapstructure")
		fv := v.Field(i)
		if tag == ",squash" { // an embedded section whose keys are its parent's
			maps.Copy(out, flatten(fv, prefix))
			continue
		}
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		key := prefix + tag
		if fv.Kind() == reflect.Struct && fv.Type() != durationType {
			for k, sub := range flatten(fv, key+".") {
				out[k] = sub
			}
			continue
		}
		out[key] = fv
	}
	return out
}
