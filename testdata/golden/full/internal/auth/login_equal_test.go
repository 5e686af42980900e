package auth_test

import (
	"context"
	"testing"
	"time"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/auth"
)

// A login that names no user verifies a password all the same, against a
// hash made with the configured parameters, so that it costs what a wrong
// password costs and its answer's timing does not tell which accounts
// exist. Shown without a clock: while every slot of the hash gate is taken,
// both kinds of login wait for one (and answer 503 when the request's
// deadline passes); once free, both answer INVALID_CREDENTIALS.
func TestLoginOfAnUnknownUserVerifiesAHashAsAWrongPasswordDoes(t *testing.T) {
	t.Parallel()
	params := auth.HashParams{MemoryKiB: 256, Iterations: 3, Parallelism: 1}
	s, err := auth.NewService(testPool(t), auth.Settings{Hash: params, HashConcurrency: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.DummyHashParams(); got != params {
		t.Fatalf("the unknown user's hash has parameters %+v, want the configured %+v", got, params)
	}
	ctx := context.Background()
	if _, err := s.Register(ctx, auth.RegisterInput{Username: "known_user", Email: "known@example.com",
		Password: "Correct7horse!", ClientIP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	logins := []struct {
		name string
		in   auth.LoginInput
	}{
		{"wrong password", auth.LoginInput{Username: "known_user", Password: "Wrong7horse!", ClientIP: "192.0.2.2"}},
		{"unknown user", auth.LoginInput{Username: "ghost_user", Password: "Wrong7horse!", ClientIP: "192.0.2.3"}},
	}
	wantCode := func(name string, err error, code apperr.Code) {
		t.Helper()
		if e, ok := apperr.As(err); !ok || e.Code != code {
			t.Fatalf("%s: error %v, want %s", name, err, code)
		}
	}
	release := s.HoldHashGate()
	for _, l := range logins {
		waitCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		_, err := s.Login(waitCtx, l.in)
		cancel()
		wantCode(l.name+", hash gate taken", err, apperr.CodeServiceUnavailable)
	}
	release()
	for _, l := range logins {
		_, err := s.Login(ctx, l.in)
		wantCode(l.name, err, apperr.CodeInvalidCredentials)
	}
}
