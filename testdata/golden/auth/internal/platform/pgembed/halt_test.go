package pgembed

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A halted server refuses connections, and resumed on the same port it has
// every transaction committed before the halt: with synchronous_commit on,
// an immediate stop loses nothing a client was told was committed. (With
// the throw-away default, off, it loses about a fifth of these rows.)
func TestHaltAndResumeKeepCommittedData(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Settings: map[string]string{"synchronous_commit": "on"}})
	dsn, port, pid := s.DSN("postgres"), s.Port, s.PID()
	exec1(t, dsn, "CREATE TABLE kept (n int)")
	for i := range 50 {
		exec1(t, dsn, fmt.Sprintf("INSERT INTO kept VALUES (%d)", i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Halt(ctx); err != nil {
		t.Fatalf("Halt: %v", err)
	}
	if conn, err := pgx.Connect(ctx, dsn); err == nil {
		conn.Close(ctx)
		t.Fatal("a halted server accepted a connection")
	}
	if err := s.Resume(ctx); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if s.Port != port || s.PID() == pid {
		t.Errorf("after Resume: port %d (was %d), pid %d (was %d): want the same port and a new process", s.Port, port, s.PID(), pid)
	}
	if got := queryInt(t, dsn, "SELECT count(*) FROM kept"); got != 50 {
		t.Errorf("%d rows after an immediate stop, want the 50 committed", got)
	}
	if err := s.Resume(ctx); err != nil {
		t.Errorf("Resume of a running server: %v", err)
	}
}
