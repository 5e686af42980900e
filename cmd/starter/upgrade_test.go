package main

import (
	"strings"
	"testing"

	"github.com/starter-go/starter/generator"
)

// The plan names a migration the templates changed and says what to do,
// instead of it passing as one more file.
func TestPlanReportsChangedMigration(t *testing.T) {
	t.Parallel()
	u := &generator.Update{
		From: generator.ProjectConfig{StarterVersion: "1.0"},
		To:   generator.Options{Name: "demo", StarterVersion: "2.0"},
		Changes: []generator.Change{
			{Path: "Makefile", Action: generator.Replaced},
			{Path: "migrations/000003_tasks.up.sql", Action: generator.KeptMigration},
		},
	}
	var out strings.Builder
	printPlan(&out, u, generator.UpdateRequest{})
	for _, want := range []string{
		"  left as is   migrations/000003_tasks.up.sql (changed upstream; databases that applied it will not run it again — add a new migration)\n",
		"2 files: 1 replaced, 1 left as is\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, out.String())
		}
	}
}
