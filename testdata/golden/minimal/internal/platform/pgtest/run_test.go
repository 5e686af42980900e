package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/demo/internal/platform/pgembed"
)

// RunEnv gives the command the environment it was handed, and a
// TEST_DATABASE_URL there means no server of its own.
func TestRunEnvHandsItsEnvironmentOn(t *testing.T) {
	t.Parallel()
	env := append(os.Environ(), "TEST_DATABASE_URL=postgres://first/x", "PGTEST_RUN_ENV=given",
		"TEST_DATABASE_URL=postgres://given.example/db")
	var stdout, stderr bytes.Buffer
	code, err := RunEnv(context.Background(), env, &stdout, &stderr, os.Args[0], "-test.run=^TestHelperRunEnv$")
	if err != nil || code != 4 {
		t.Fatalf("exit %d, err %v; stderr %s", code, err, stderr.String())
	}
	want := "url postgres://given.example/db\nextra given\n"
	if stdout.String() != want {
		t.Errorf("the command printed %q, want %q", stdout.String(), want)
	}
}

// TestHelperRunEnv is the command TestRunEnvHandsItsEnvironmentOn runs.
func TestHelperRunEnv(t *testing.T) {
	t.Parallel()
	if !slices.Contains(os.Args, "-test.run=^TestHelperRunEnv$") {
		return
	}
	fmt.Printf("url %s\nextra %s\n", os.Getenv("TEST_DATABASE_URL"), os.Getenv("PGTEST_RUN_ENV"))
	os.Exit(4)
}

func TestLookupEnvTakesTheLastValue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  []string
		want string
	}{
		{nil, ""},
		{[]string{"A=1"}, ""},
		{[]string{"KEY=1", "KEYS=2"}, "1"},
		{[]string{"KEY=1", "KEY=2"}, "2"},
		{[]string{"KEY=a=b"}, "a=b"},
	}
	for _, tc := range cases {
		if got := lookupEnv(tc.env, "KEY"); got != tc.want {
			t.Errorf("lookupEnv(%s) = %q, want %q", strings.Join(tc.env, " "), got, tc.want)
		}
	}
}

// With Pooler, the command gets a PgBouncer in front of the server as TEST_DATABASE_POOLER_URL,
// through which the server's databases answer, and the bouncer is gone afterwards.
func TestRunWithPoolerHandsAPgBouncerOn(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code, err := RunWith(context.Background(), RunOptions{Env: os.Environ(), Stdout: &stdout, Stderr: &stderr, Pooler: true},
		os.Args[0], "-test.run=^TestHelperPooler$")
	if errors.Is(err, pgembed.ErrNoBouncer) && os.Getenv("CI") == "" {
		t.Skip(err) // optional for a project; CI installs it
	}
	if err != nil || code != 5 {
		t.Fatalf("exit %d, err %v; stdout %s; stderr %s", code, err, stdout.String(), stderr.String())
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(stdout.String()), "answered through ")
	if !ok {
		t.Fatalf("the command printed %q", stdout.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, url); err == nil {
		conn.Close(ctx)
		t.Fatal("the PgBouncer still answers after the run")
	}
}

// TestHelperPooler is the command TestRunWithPoolerHandsAPgBouncerOn runs.
func TestHelperPooler(t *testing.T) {
	t.Parallel()
	if !slices.Contains(os.Args, "-test.run=^TestHelperPooler$") {
		return
	}
	url := os.Getenv("TEST_DATABASE_POOLER_URL")
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err == nil {
		err = conn.QueryRow(context.Background(), "SELECT 1").Scan(new(int))
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("answered through %s\n", url)
	os.Exit(5)
}
