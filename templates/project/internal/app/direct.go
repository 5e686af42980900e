package app

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/starter-go/starter/templates/project/internal/buildinfo"
	"github.com/starter-go/starter/templates/project/internal/database"
)

// directConnector is where the connections that cannot come from the pool
// come from: a LISTEN holds its server session for good, which a connection
// pooler in transaction mode (PgBouncer) cannot give. They are opened on url,
// the pool's URL unless WithDirectURL names another; this is the one place to
// change to take them from a direct URL of their own.
func directConnector(url string) func(context.Context) (*pgx.Conn, error) {
	return func(ctx context.Context) (*pgx.Conn, error) {
		return database.Connect(ctx, url, buildinfo.Name+"-listener")
	}
}
