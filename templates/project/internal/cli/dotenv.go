package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"

	"github.com/joho/godotenv"

	"github.com/starter-go/starter/templates/project/internal/config"
)

// dotEnvFile holds a developer's local variables (DATABASE_URL,
// INITIAL_ADMIN_PASSWORD…), one KEY=value a line. It is read from the working
// directory, like config/, and git ignores it.
const dotEnvFile = ".env"

// withDotEnv returns getenv with the variables of the file at path beneath
// it: a variable the environment sets wins over the file. It also returns
// what the file added, for the commands the CLI starts (test-db run). A
// missing file adds nothing. In production the file is not read at all: a
// deployed service takes its settings from its environment alone, and a .env
// left in its working directory must not change them; for the same reason a
// file that sets APP_ENV=production is an error.
func withDotEnv(path string, getenv func(string) string) (func(string) string, map[string]string, error) {
	if getenv("APP_ENV") == config.EnvProduction {
		return getenv, nil, nil
	}
	vars, err := godotenv.Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return getenv, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if vars["APP_ENV"] == config.EnvProduction && getenv("APP_ENV") == "" {
		return nil, nil, fmt.Errorf("%s: APP_ENV=production: the file is read in development and test only; "+
			"set APP_ENV in the environment instead", path)
	}
	added := map[string]string{}
	for k, v := range vars {
		if getenv(k) == "" {
			added[k] = v
		}
	}
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return added[k]
	}, added, nil
}

// environ is the environment of a command the CLI starts: this process's,
// with the variables .env added.
func (e *env) environ(base []string) []string {
	for _, k := range slices.Sorted(maps.Keys(e.dotenv)) {
		base = append(base, k+"="+e.dotenv[k])
	}
	return base
}
