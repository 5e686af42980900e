package database

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestIsUnavailable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection cut mid-statement", fmt.Errorf("authenticate: %w", io.ErrUnexpectedEOF), true},
		{"connection closed", fmt.Errorf("read: %w", io.EOF), true},
		{"connection found cut by an earlier statement", fmt.Errorf("quota lock: %w", pgconn.ErrConnClosed), true},
		{"deadline", context.DeadlineExceeded, true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"crash shutdown", &pgconn.PgError{Code: "57P02"}, true},
		{"starting up", fmt.Errorf("claim: %w", &pgconn.PgError{Code: "57P03"}), true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"query cancelled", &pgconn.PgError{Code: "57014"}, false},
		{"other", errors.New("boom"), false},
		{"cancelled by the client", context.Canceled, false},
	} {
		if got := IsUnavailable(tc.err); got != tc.want {
			t.Errorf("%s: IsUnavailable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
