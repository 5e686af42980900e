package pgembed

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestBouncerConfig(t *testing.T) {
	t.Parallel()
	b := &Bouncer{runDir: "/run/x"}
	up, err := pgx.ParseConfig("postgres://u:p@127.0.0.1:5433/db")
	if err != nil {
		t.Fatal(err)
	}
	got := b.config(BouncerOptions{PoolMode: "session", Settings: map[string]string{"default_pool_size": "5"}}, &up.Config, 6432)
	for _, want := range []string{"[databases]\n* = host=127.0.0.1 port=5433\n", "\npool_mode = session\n",
		"\ndefault_pool_size = 5\n", "\nlisten_port = 6432\n", "\nauth_type = scram-sha-256\n", "\nunix_socket_dir = \n"} {
		if !strings.Contains(got, want) {
			t.Errorf("config lacks %q:\n%s", want, got)
		}
	}
	if quote(`a"b`) != `"a""b"` {
		t.Errorf("quote: %s", quote(`a"b`))
	}
}
