// Package migrations embeds the SQL migrations of the service, applied by
// golang-migrate (internal/database.Migrator). Files are NNNNNN_name.up.sql and
// NNNNNN_name.down.sql; `NAME migrate create NAME` adds the next pair.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
