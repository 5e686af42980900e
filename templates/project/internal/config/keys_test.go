package config

import (
	"slices"
	"testing"
)

// Keys names every setting, those of the features included, and nothing
// that is not one (Env comes from APP_ENV alone).
func TestKeysNameEverySetting(t *testing.T) {
	t.Parallel()
	keys := Keys()
	want := []string{"database_url", "port", "shutdown_timeout", "trusted_proxies"}
	// starter:feature auth
	want = append(want, "auth.session_lifetime", "initial_admin.password")
	// starter:end
	// starter:feature tasks
	want = append(want, "tasks.shutdown_grace", "tasks.file_cleanup_root")
	// starter:end
	for _, k := range want {
		if !slices.Contains(keys, k) {
			t.Errorf("Keys() lacks %q", k)
		}
	}
	if !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(keys) {
		t.Errorf("Keys() is not sorted and unique: %v", keys)
	}
	if slices.Contains(keys, "app_env") || slices.Contains(keys, "") {
		t.Errorf("Keys() has a key that is no setting: %v", keys)
	}
}
