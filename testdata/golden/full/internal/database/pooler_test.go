package database

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Where each kind of connection goes, and the pool's query exec mode: the
// configured one, else the URL's, else exec behind a transaction pooler
// and pgx's default otherwise.
func TestEndpoints(t *testing.T) {
	t.Parallel()
	const pooled, direct = "postgres://u:p@pooler:6432/db", "postgres://u:p@db:5432/db"
	cases := []struct {
		name            string
		ep              Endpoints
		session         string // "": none, poll
		migrations      string
		mode            pgx.QueryExecMode
		logged, listens string
	}{
		{"direct", Endpoints{URL: direct}, direct, direct, pgx.QueryExecModeCacheStatement, "cache_statement", "LISTEN"},
		{"pooler", Endpoints{URL: pooled, TransactionPooler: true}, "", pooled, pgx.QueryExecModeExec, "exec", "polling"},
		{"pooler and direct URL", Endpoints{URL: pooled, DirectURL: direct, TransactionPooler: true}, direct, direct,
			pgx.QueryExecModeExec, "exec", "LISTEN"},
		{"the URL's mode", Endpoints{URL: pooled + "?default_query_exec_mode=simple_protocol", TransactionPooler: true}, "",
			pooled + "?default_query_exec_mode=simple_protocol", pgx.QueryExecModeSimpleProtocol, "simple_protocol", "polling"},
		{"configured over the URL", Endpoints{URL: direct + "?default_query_exec_mode=exec", QueryExecMode: "cache_statement"},
			direct + "?default_query_exec_mode=exec", direct + "?default_query_exec_mode=exec",
			pgx.QueryExecModeCacheStatement, "cache_statement", "LISTEN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			session, ok := tc.ep.Session()
			if session != tc.session || ok != (tc.session != "") || tc.ep.Migrations() != tc.migrations {
				t.Errorf("session %q %v, migrations %q", session, ok, tc.ep.Migrations())
			}
			cfg, err := pgxpool.ParseConfig(tc.ep.URL)
			if err != nil {
				t.Fatal(err)
			}
			for _, opt := range tc.ep.PoolOptions() {
				if err := opt(cfg); err != nil {
					t.Fatal(err)
				}
			}
			if cfg.ConnConfig.DefaultQueryExecMode != tc.mode {
				t.Errorf("query exec mode %v, want %v", cfg.ConnConfig.DefaultQueryExecMode, tc.mode)
			}
			attrs := tc.ep.LogAttrs()
			if got := attrs[2].(interface{ String() string }).String(); got != "query_exec_mode="+tc.logged {
				t.Errorf("logged %s, want query_exec_mode=%s", got, tc.logged)
			}
			if got := attrs[3].(interface{ String() string }).String(); got != "listen="+tc.listens {
				t.Errorf("logged %s, want listen=%s", got, tc.listens)
			}
		})
	}
}
