package config

import "slices"

// The poolers DATABASE_URL may go through (database.pooler).
const (
	// PoolerNone: DATABASE_URL reaches PostgreSQL itself, or a pooler in
	// session mode, which gives each client a server session of its own.
	PoolerNone = "none"
	// PoolerTransaction: DATABASE_URL goes through a pooler in transaction
	// mode (PgBouncer's pool_mode = transaction, the pooled connection strings
	// of managed PostgreSQL), which hands a server session to a client for
	// one transaction only.
	PoolerTransaction = "transaction"
)

// queryExecModes are pgx's query exec modes, by the names its URL parameter
// default_query_exec_mode takes.
var queryExecModes = []string{"cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"} //nolint:gochecknoglobals // a table that is never written

// Database says how the service reaches PostgreSQL besides DATABASE_URL.
// Environment variables: DATABASE_DIRECT_URL, DATABASE_POOLER, DATABASE_QUERY_EXEC_MODE.
type Database struct {
	// DirectURL reaches PostgreSQL itself when DATABASE_URL is a transaction
	// pooler: migrations, LISTEN and session advisory locks use it, since
	// they need one server session for longer than a transaction. Default
	// empty: behind a transaction pooler the service then polls instead of
	// listening, and locks with transaction-scoped locks (see the README's
	// "Connection poolers").
	DirectURL string `mapstructure:"direct_url"`
	// Pooler is what DATABASE_URL goes through: none (default: PostgreSQL
	// itself, or a pooler in session mode) or transaction (a pooler in
	// transaction mode, such as PgBouncer's pool_mode = transaction).
	// Nothing guesses it: the service logs the choice at start-up.
	Pooler string `mapstructure:"pooler"`
	// QueryExecMode is how pgx sends queries: cache_statement, cache_describe,
	// describe_exec, exec or simple_protocol. Default empty: DATABASE_URL's
	// default_query_exec_mode when it sets one, else cache_statement (named
	// prepared statements), or exec behind a transaction pooler, where a
	// prepared statement would be on another server session by its next use.
	QueryExecMode string `mapstructure:"query_exec_mode"`
}

func databaseDefaults() Database {
	return Database{Pooler: PoolerNone}
}

// TransactionPooler reports whether DATABASE_URL goes through a pooler in transaction mode.
func (d Database) TransactionPooler() bool { return d.Pooler == PoolerTransaction }

func (c *Config) validateDatabase() error {
	d := c.Database
	switch {
	case d.Pooler != "" && d.Pooler != PoolerNone && d.Pooler != PoolerTransaction:
		return Invalid("database.pooler", "must be none or transaction", d.Pooler)
	case d.QueryExecMode != "" && !slices.Contains(queryExecModes, d.QueryExecMode):
		return Invalid("database.query_exec_mode", "must be cache_statement, cache_describe, describe_exec, exec or simple_protocol", d.QueryExecMode)
	case d.TransactionPooler() && d.QueryExecMode == "describe_exec":
		// Its describe and execute steps are two transactions to a pooler.
		return Invalid("database.query_exec_mode", "must not be describe_exec behind a transaction pooler", d.QueryExecMode)
	case d.DirectURL != "" && !d.TransactionPooler():
		return Invalid("database.direct_url", "is for a DATABASE_URL behind a transaction pooler: set DATABASE_POOLER=transaction too", "(a URL)")
	}
	return nil
}
