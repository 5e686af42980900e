package app

import (
	"testing"

	"example.com/demo/internal/auth"
	"example.com/demo/internal/config"
)

// The argon2id costs: the auth service's defaults (m=19456 KiB, t=2, p=1)
// everywhere but in the test environment.
func TestHashCostPerEnvironment(t *testing.T) {
	t.Parallel()
	production := [3]uint32{auth.DefaultMemoryKiB, auth.DefaultIterations, auth.DefaultParallelism}
	for env, want := range map[string][3]uint32{
		config.EnvDevelopment: production,
		config.EnvProduction:  production,
		config.EnvTest:        {64, 1, 1},
	} {
		cfg := config.Defaults(env)
		h := AuthSettings(&cfg).Hash
		if got := [3]uint32{h.MemoryKiB, h.Iterations, uint32(h.Parallelism)}; got != want {
			t.Errorf("%s: hash cost %v, want %v", env, got, want)
		}
	}
}
