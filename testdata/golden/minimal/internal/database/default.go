package database

import (
	"context"
	"errors"
	"fmt"
	"io"

	"example.com/demo/internal/buildinfo"
	"example.com/demo/internal/config"
	"example.com/demo/internal/platform/pgembed"
)

// DefaultDatabase returns the URL the service should use: DATABASE_URL when
// set, else (development and test only) the database cfg.DBName of a
// persistent embedded PostgreSQL kept in cfg.DataDir, started here. stop ends
// that server (it does nothing for DATABASE_URL). progress gets one line per step.
func DefaultDatabase(ctx context.Context, cfg *config.Config, progress io.Writer) (url string, stop func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	if cfg.DatabaseURL != "" {
		return cfg.DatabaseURL, noop, nil
	}
	if cfg.IsProduction() {
		return "", nil, errors.New("database: DATABASE_URL is required in production")
	}
	fmt.Fprintf(progress, "starting the local database (%s)…\n", cfg.DataDir)
	srv, err := pgembed.Start(ctx, pgembed.Options{DataDir: cfg.DataDir})
	if err != nil {
		return "", nil, fmt.Errorf("database: start local PostgreSQL (or set DATABASE_URL): %w", err)
	}
	if err := srv.CreateDatabase(ctx, cfg.DBName); err != nil {
		return "", nil, errors.Join(err, srv.Stop(context.WithoutCancel(ctx)))
	}
	fmt.Fprintf(progress, "local database %s ready on 127.0.0.1:%d (data in %s)\n", cfg.DBName, srv.Port, srv.DataDir)
	if srv.Relocated {
		// As root the data cannot stay in the project, where PostgreSQL's user may not reach it:
		// say where it went and how to remove it, since deleting the project does not (at once).
		fmt.Fprintf(progress, "PostgreSQL does not run as root, so its data is in %s rather than %s (see LOCATION there); "+
			"`%s dev-db drop` removes it\n", srv.DataDir, cfg.DataDir, buildinfo.Name)
	}
	return srv.DSN(cfg.DBName), srv.Stop, nil
}
