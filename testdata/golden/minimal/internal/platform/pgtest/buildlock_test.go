package pgtest

import (
	"context"
	"testing"
)

// The build lock of a template must be free the moment ensureTemplate or
// dropTemplate returns: another process that asks for it right then (a
// reset, a test binary dropping a stale template) must not be told the
// template is "being built".
func TestBuildLockIsFreeOnReturn(t *testing.T) {
	t.Parallel()
	iso := isolated(t)
	ctx := context.Background()
	tpl := iso.templateName(sample)
	lockFree := func(step string) {
		t.Helper()
		conn, err := iso.conns.get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer iso.conns.put(conn)
		var got bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", lockKey(tpl)).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !got {
			t.Fatalf("after %s the build lock of %s is still held", step, tpl)
		}
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", lockKey(tpl)); err != nil {
			t.Fatal(err)
		}
	}
	// The server frees the lock of a closed connection a moment later, so
	// a few rounds are needed to see a lock that is only dropped by closing.
	for range 10 {
		if err := iso.ensureTemplate(ctx, sample); err != nil {
			t.Fatal(err)
		}
		lockFree("a build")
		if err := iso.dropTemplate(ctx, tpl); err != nil {
			t.Fatal(err)
		}
		lockFree("a drop")
	}
}
