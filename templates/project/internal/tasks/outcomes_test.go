package tasks

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// A batch of outcomes is kept and retried while the database cannot take
// it, and split row by row when the database refuses it.
func TestUnreachableTellsAnAbsentDatabaseFromARefusal(t *testing.T) {
	t.Parallel()
	pg := func(code string) error { return fmt.Errorf("complete 4 tasks: %w", &pgconn.PgError{Code: code}) }
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"connection lost", io.ErrUnexpectedEOF, true},
		{"connect refused", &pgconn.ConnectError{}, true},
		{"connection failure", pg("08006"), true},
		{"server shutting down", pg("57P01"), true},
		{"statement timeout", pg("57014"), true},
		{"too many connections", pg("53300"), true},
		{"deadlock", pg("40P01"), true},
		{"NUL in jsonb", pg("22P05"), false},
		{"invalid UTF-8", pg("22021"), false},
		{"numeric overflow", pg("22003"), false},
		{"undefined column", pg("42703"), false},
		{"no answer from the server at all", errors.New("write: broken pipe"), true},
	}
	for _, tc := range cases {
		if got := unreachable(tc.err); got != tc.want {
			t.Errorf("%s: unreachable = %v, want %v", tc.name, got, tc.want)
		}
	}
}
