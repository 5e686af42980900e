package pgtest

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A template's database exists, empty, before it is migrated, and
// PostgreSQL copies any database it is asked to, template or not. A clone
// must wait for a build under way, and refuse a database a build left
// unfinished: once a test got a database without the tables its
// migrations make, cloned in the moment between a rebuild's CREATE
// DATABASE and its migrator's first connection.
func TestCloneIsOnlyOfAFinishedTemplate(t *testing.T) {
	t.Parallel()
	iso := isolated(t)
	ctx := context.Background()
	tpl := iso.templateName(migratorWith("CREATE TABLE clone_finished (id int)"))
	builder := connect(t, iso.dsn)
	if _, err := builder.Exec(ctx, "CREATE DATABASE "+ident(tpl)+" TEMPLATE template0"); err != nil {
		t.Fatal(err)
	}

	t.Run("left unfinished", func(t *testing.T) {
		name, err := iso.clone(ctx, tpl)
		if !errors.Is(err, errTemplateGone) {
			t.Fatalf("clone of a database no build finished = %q, %v; want errTemplateGone", name, err)
		}
	})

	t.Run("being built", func(t *testing.T) {
		if _, err := builder.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey(tpl)); err != nil {
			t.Fatal(err)
		}
		type result struct {
			name string
			err  error
		}
		done := make(chan result, 1)
		go func() {
			name, err := iso.clone(ctx, tpl)
			done <- result{name, err}
		}()
		// Wait until the clone waits for the build's lock, then finish the build.
		for waiting := 0; waiting == 0; time.Sleep(time.Millisecond) {
			waiting = count(t, builder, `SELECT count(*) FROM pg_locks
				WHERE locktype = 'advisory' AND NOT granted AND classid = $1 AND objid = $2`,
				uint32(uint64(lockKey(tpl))>>32), uint32(lockKey(tpl)))
			select {
			case r := <-done:
				t.Fatalf("clone of a template being built returned at once: %q, %v", r.name, r.err)
			default:
			}
		}
		migrated := connect(t, iso.dsnFor(tpl))
		if _, err := migrated.Exec(ctx, "CREATE TABLE clone_finished (id int)"); err != nil {
			t.Fatal(err)
		}
		migrated.Close(ctx)
		if _, err := builder.Exec(ctx, "ALTER DATABASE "+ident(tpl)+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"); err != nil {
			t.Fatal(err)
		}
		if _, err := builder.Exec(ctx, "SELECT pg_advisory_unlock($1)", lockKey(tpl)); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		t.Cleanup(func() { _ = iso.drop(ctx, r.name) })
		count(t, connect(t, iso.dsnFor(r.name)), "SELECT count(*) FROM clone_finished")
	})
}
