// Package migrations checks the SQL migrations that generated projects ship.
//
// The SQL itself lives with the template, in templates/project/migrations, so
// that it is embedded into the generated binary next to the code that uses it.
// This package proves, on a real PostgreSQL and for every variant the
// generator offers, that each variant's migration set applies from scratch,
// reverts completely, and applies again: a down migration that forgets a table,
// or an up migration that leans on a feature the variant lacks, fails here.
package migrations
