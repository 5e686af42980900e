package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
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
