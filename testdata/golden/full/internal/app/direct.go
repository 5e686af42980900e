package app

import (
	"context"

	"github.com/jackc/pgx/v5"

	"example.com/demo/internal/buildinfo"
	"example.com/demo/internal/database"
)

// directConnector is where the connections that cannot come from the pool
// come from: a LISTEN holds its server session for good, which a connection
// pooler in transaction mode (PgBouncer) cannot give. They are opened on
// DATABASE_DIRECT_URL, or on DATABASE_URL when it is not a transaction
// pooler; listening is false when neither reaches PostgreSQL itself, and
// their users then poll instead (database.Endpoints.SessionConnector).
// override, when not empty, replaces the URL (tests put a proxy there to
// cut these connections alone).
func directConnector(ep database.Endpoints, override, name string) (connect func(context.Context) (*pgx.Conn, error), listening bool) {
	return ep.SessionConnector(buildinfo.Name+"-"+name, override)
}
