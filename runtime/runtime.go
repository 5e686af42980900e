// Package runtime holds the small packages copied into every generated project under
// internal/platform/: pgembed (an embedded PostgreSQL), pgtest (the template-database test
// harness), breaker, retry and fakeclock (a clock tests move by hand). They use only the
// standard library and pgx, so a generated project builds with public modules alone; FS
// carries their sources, tests included, to the generator.
package runtime

import "embed"

// FS holds the sources of the runtime packages, one directory each.
//
//go:embed all:pgembed all:pgtest all:breaker all:retry all:fakeclock
var FS embed.FS
