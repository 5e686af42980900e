package cli

import (
	"strings"
	"testing"
)

func TestClearCompletedRefusesAnAgeOutOfRange(t *testing.T) {
	t.Parallel()
	dsn := taskDatabase(t, "completed", "completed", "pending")
	env := map[string]string{"DATABASE_URL": dsn}
	for _, days := range []string{"-1", "36501", "200000", "9223372036854775807"} {
		r := run(t, env, "admin", "clear-completed", "--older-than-days", days)
		if r.code != 2 || !strings.Contains(r.stderr, "--older-than-days "+days+": must be at least 0 and at most 36500") {
			t.Errorf("--older-than-days %s: exit %d, stderr %q; want a usage error naming the flag and its range", days, r.code, r.stderr)
		}
	}
	// The largest age allowed deletes nothing finished ten days ago.
	r := run(t, env, "admin", "clear-completed", "--older-than-days", "36500")
	if r.code != 0 || !strings.Contains(r.stdout, "deleted 0 completed task(s)") {
		t.Fatalf("--older-than-days 36500: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := run(t, env, "admin", "task-stats"); !strings.Contains(r.stdout, "completed  2") {
		t.Fatalf("completed tasks gone: %q", r.stdout)
	}
}
