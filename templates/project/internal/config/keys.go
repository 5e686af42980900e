package config

import (
	"reflect"
	"slices"
)

// Keys lists the key of every setting, sorted ("port", "tasks.concurrency"…);
// EnvName(key) is its environment variable. Files that set the service's
// environment (the deploy manifests, .env) are checked against it.
func Keys() []string {
	keys := make([]string, 0, 64)
	for key := range flatten(reflect.ValueOf(Defaults(EnvDevelopment)), "") {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys
}
