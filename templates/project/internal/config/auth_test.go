package config

import "testing"

// The argon2id costs: the production ones (m=19456 KiB, t=2, p=1) everywhere
// but in the test environment.
func TestHashCostPerEnvironment(t *testing.T) {
	t.Parallel()
	for env, want := range map[string][3]uint32{
		EnvDevelopment: {19456, 2, 1},
		EnvProduction:  {19456, 2, 1},
		EnvTest:        {64, 1, 1},
	} {
		cfg := Defaults(env)
		h := cfg.AuthSettings().Hash
		if got := [3]uint32{h.MemoryKiB, h.Iterations, uint32(h.Parallelism)}; got != want {
			t.Errorf("%s: hash cost %v, want %v", env, got, want)
		}
	}
}
