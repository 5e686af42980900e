package generator

import "strings"

// generateTask runs starter generate task name in the project, as a user
// would, and runs the tests it wrote: both pass through the service's worker.
// The project's make test (check) runs them again among all the others.
func (p project) generateTask(name string) {
	p.t.Helper()
	plan, err := PlanTask(p.t.Context(), realSources(), p.dir, TaskRequest{Name: name})
	if err != nil {
		p.t.Fatalf("generate task %s: %v", name, err)
	}
	if err := plan.Write(p.t.Context()); err != nil {
		p.t.Fatal(err)
	}
	out := p.mustRun("go", "test", "./tests", "-run", "^"+plan.TestPattern(), "-count=1", "-v")
	for _, test := range []string{"Completes", "FailsOnABadPayload"} {
		if !strings.Contains(out, "--- PASS: "+plan.TestPattern()+test+" ") {
			p.t.Errorf("%s%s did not pass:\n%s", plan.TestPattern(), test, tail(out, 40))
		}
	}
}
