package pgtest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Database is one database of the harness on a server.
type Database struct {
	Name string
	// Set is the 16 hex digits naming the migration set it belongs to.
	Set string
	// Bytes is its size on disk.
	Bytes int64
}

// StatusReport lists the harness's databases of this project on a server.
type StatusReport struct {
	// Templates are the template databases, one per migration set, newest first.
	Templates []Database
	// Clones are test databases: kept from failed tests, in use by running tests, or left by
	// killed test processes.
	Clones []Database
	// Building are databases being built as templates, or left by a build that died.
	Building []Database
}

// Reset drops the template of m's migration set, if any, and builds it again. Clones of the old
// template are not touched.
func Reset(ctx context.Context, adminDSN string, m Migrator) error {
	a, err := openAdmin(ctx, adminDSN, projectPrefix())
	if err != nil {
		return fmt.Errorf("pgtest: reset: %w", err)
	}
	defer a.close()
	if err := a.dropTemplate(ctx, a.templateName(m)); err != nil {
		return fmt.Errorf("pgtest: reset: %w", err)
	}
	if err := a.ensureTemplate(ctx, m); err != nil {
		return fmt.Errorf("pgtest: reset: %w", err)
	}
	return nil
}

// Status reports the templates and clones of this project on the server of adminDSN.
func Status(ctx context.Context, adminDSN string) (StatusReport, error) {
	a, err := openAdmin(ctx, adminDSN, projectPrefix())
	if err != nil {
		return StatusReport{}, fmt.Errorf("pgtest: status: %w", err)
	}
	defer a.close()
	st, err := a.status(ctx)
	if err != nil {
		return StatusReport{}, fmt.Errorf("pgtest: status: %w", err)
	}
	return st, nil
}

// Clean drops this project's clones that no one is connected to (kept from failed tests or left
// by killed processes), unfinished builds no one is running, and every template but the newest.
// It returns the names dropped. Clones with connections are left alone, but a running test
// process also holds clones not connected yet (prepared ahead, or just created): run Clean when
// no tests run.
func Clean(ctx context.Context, adminDSN string) ([]string, error) {
	a, err := openAdmin(ctx, adminDSN, projectPrefix())
	if err != nil {
		return nil, fmt.Errorf("pgtest: clean: %w", err)
	}
	defer a.close()
	st, err := a.status(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgtest: clean: %w", err)
	}
	var dropped []string
	for _, d := range st.Clones {
		if a.dropIfUnused(ctx, d.Name) {
			dropped = append(dropped, d.Name)
		}
	}
	for _, d := range append(st.Building, olderTemplates(st)...) {
		if a.dropTemplate(ctx, d.Name) == nil {
			dropped = append(dropped, d.Name)
		}
	}
	return dropped, nil
}

func olderTemplates(st StatusReport) []Database {
	if len(st.Templates) < 2 {
		return nil
	}
	return st.Templates[1:]
}

// status reads the project's databases; templates newest (highest oid) first.
func (a *admin) status(ctx context.Context) (StatusReport, error) {
	conn, err := a.conns.get(ctx)
	if err != nil {
		return StatusReport{}, err
	}
	defer a.conns.put(conn)
	// Sizes are read one by one afterwards: pg_database_size fails for a database that another
	// process drops meanwhile, which must not fail the whole report.
	rows, err := conn.Query(ctx, `
		SELECT datname, datistemplate
		FROM pg_database WHERE starts_with(datname, $1) ORDER BY oid DESC`, a.project)
	if err != nil {
		return StatusReport{}, err
	}
	type listed struct {
		name       string
		isTemplate bool
	}
	var dbs []listed
	for rows.Next() {
		var l listed
		if err := rows.Scan(&l.name, &l.isTemplate); err != nil {
			return StatusReport{}, err
		}
		dbs = append(dbs, l)
	}
	if err := rows.Err(); err != nil {
		return StatusReport{}, err
	}
	var st StatusReport
	for _, l := range dbs {
		d := Database{Name: l.name}
		if err := conn.QueryRow(ctx, "SELECT pg_database_size($1)", d.Name).Scan(&d.Bytes); err != nil {
			continue // dropped since the listing
		}
		set, clone := a.parseName(d.Name)
		d.Set = set
		switch {
		case l.isTemplate:
			st.Templates = append(st.Templates, d)
		case clone:
			st.Clones = append(st.Clones, d)
		default:
			st.Building = append(st.Building, d)
		}
	}
	return st, nil
}

// parseName splits "<project><set>[_<random>]" into the set and whether it is a clone.
func (a *admin) parseName(name string) (set string, clone bool) {
	rest := strings.TrimPrefix(name, a.project)
	set, _, clone = strings.Cut(rest, "_")
	return set, clone
}

// dropTemplate drops template or unfinished build tpl under its build lock, so a build or a clone
// in progress elsewhere (which holds the lock shared) is never pulled away; a busy lock is an error.
func (a *admin) dropTemplate(ctx context.Context, tpl string) error {
	conn, err := pgx.Connect(ctx, a.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var locked bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", lockKey(tpl)).Scan(&locked); err != nil {
		return err
	}
	if !locked {
		return fmt.Errorf("drop %s: being built or cloned by another process", tpl)
	}
	defer unlock(ctx, conn, tpl)
	return a.unmarkAndDrop(ctx, conn, tpl)
}

func (a *admin) unmarkAndDrop(ctx context.Context, conn *pgx.Conn, tpl string) error {
	var exists bool
	err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", tpl).Scan(&exists)
	if err != nil || !exists {
		return err
	}
	return execAll(ctx, conn,
		"ALTER DATABASE "+ident(tpl)+" WITH IS_TEMPLATE false",
		"DROP DATABASE "+ident(tpl)+a.force(),
	)
}

// dropIfUnused drops a database no one is connected to; one in use is left, not an error.
func (a *admin) dropIfUnused(ctx context.Context, name string) bool {
	conn, err := a.conns.get(ctx)
	if err != nil {
		return false
	}
	defer a.conns.put(conn)
	// DROP DATABASE waits 5 seconds for connections to go before failing; ask first.
	var inUse bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = $1)", name).Scan(&inUse)
	if err != nil || inUse {
		return false
	}
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name))
	return err == nil
}

// dropOtherTemplates drops the project's templates (and builds left by dead processes) except
// those in keep: they belong to older migration sets. Clones are left alone: an unused clone may
// be one another process just created; Clean removes those of failed tests. Failures are ignored:
// this is housekeeping, and a process still using a dropped template rebuilds it.
func (a *admin) dropOtherTemplates(ctx context.Context, keep []string) {
	st, err := a.status(ctx)
	if err != nil {
		return
	}
	for _, d := range append(st.Templates, st.Building...) {
		if !slices.Contains(keep, d.Name) {
			_ = a.dropTemplate(ctx, d.Name)
		}
	}
}
