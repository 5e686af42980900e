package generator

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestEndToEnd generates every variant and holds it to the README's promise:
// go build, go vet and gofmt are clean, go.mod is tidy, the project grown by
// generate resource (and generate task) passes its own make lint, and its own
// `make test` passes against a real PostgreSQL (its embedded one, or
// TEST_DATABASE_URL when set). The auth project then has tasks added after
// its owner's edits, and is held to the same promise. It takes minutes: `go test -short` skips it,
// `make test` runs it (model: cmd/stringer's endtoend_test.go).
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end build and test of every generated variant and of an add: skipped with -short")
	}
	t.Parallel()
	for _, tool := range []string{"go", "gofmt", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to test the generated projects: %v", tool, err)
		}
	}
	m, err := LoadManifest(realSources().Templates)
	if err != nil {
		t.Fatal(err)
	}
	// One variant at a time: each runs a PostgreSQL and the whole test suite,
	// and they share the build cache.
	for _, variant := range m.VariantNames() {
		t.Run(variant, func(t *testing.T) {
			p := project{t: t, dir: filepath.Join(t.TempDir(), "demo")}
			plan, err := NewPlan(t.Context(), realSources(), goldenOptions(m.Variants[variant]))
			if err != nil {
				t.Fatal(err)
			}
			if err := plan.Write(t.Context(), p.dir); err != nil {
				t.Fatal(err)
			}
			p.write("internal/config/shipped_config_test.go", shippedConfigTest)
			if out, err := p.run("go", "mod", "tidy", "-diff"); err != nil {
				t.Fatalf("templates/gomod/%s is not tidy for the current templates: run make pin\n%s", variant, out)
			}
			// Its day two first: two resources, the second pointing to the
			// first, so that the checks below hold the grown project (and
			// its make test runs their tests). The full variant also grows a
			// task type, whose tests join the same make test.
			p.generateResources(e2eResources[variant])
			if variant == "full" {
				p.generateTask("send_invoice")
			}
			if out, err := p.run("go", "mod", "tidy", "-diff"); err != nil {
				t.Fatalf("go.mod is not tidy after generate resource:\n%s", out)
			}
			p.lint()
			p.check()
			if variant == "full" {
				p.checkBehindPgBouncer()
				p.checkInBrowser()
			}
			p.openAPIClientCompiles()
			if variant == "full" {
				p.chaosPasses()
			}
			// The auth project goes on to its second day (no extra project
			// generated): its owner edits it, then adds tasks.
			if variant == "auth" {
				if err := InitGit(t.Context(), p.dir, plan); err != nil {
					t.Fatal(err)
				}
				p.addTasksAfterEdits()
			}
		})
	}
}

// e2eResources are the resources each variant grows by before its checks:
// between them every field type and modifier, and every access (open
// without auth; public, and owned pointing to public, in auth; owned
// pointing to owned, where a ref's row must be visible, in full).
var e2eResources = map[string][]ResourceRequest{
	"minimal": {
		{Name: "tag", Fields: []string{"label:string:required:unique"}},
		{Name: "box", Fields: []string{"size:int:required:index", "weight:decimal:unique", "fragile:bool",
			"ratio:float:index", "seen_at:time:index", "shipped_on:date:unique", "code:uuid:unique", "meta:json",
			"note:text", "tag_id:ref:tag"}},
	},
	"auth": {
		{Name: "category", Fields: []string{"name:string:required:unique", "about:text"}, Public: true},
		{Name: "product", Fields: []string{"title:string:required", "price:decimal:required", "in_stock:bool:index",
			"released_on:date", "category_id:ref:category:required"}},
	},
	"full": {
		{Name: "project", Fields: []string{"name:string:required:index", "due_at:time", "budget:decimal:optional"}},
		{Name: "issue", Plural: "issues", Fields: []string{"title:string:required", "body:text", "points:int:index",
			"estimate:float", "done:bool:index", "due_on:date:index", "ref:uuid:unique", "labels:json",
			"project_id:ref:project:required"}},
	},
}

// generateResources runs starter generate resource for each request, as a
// user would in the project.
func (p project) generateResources(reqs []ResourceRequest) {
	p.t.Helper()
	for _, req := range reqs {
		plan, err := PlanResource(p.t.Context(), realSources(), p.dir, req)
		if err != nil {
			p.t.Fatalf("generate resource %s: %v", req.Name, err)
		}
		if err := plan.Write(p.t.Context()); err != nil {
			p.t.Fatal(err)
		}
	}
}

// checkBehindPgBouncer runs the project's integration suite once more, each
// service reaching its database through a PgBouncer in transaction mode
// (`make test-pgbouncer`, which `test-db run --pgbouncer` starts in front of
// the test PostgreSQL): what a pooler breaks (named prepared statements,
// LISTEN, session locks) must not be needed.
func (p project) checkBehindPgBouncer() {
	p.t.Helper()
	began := time.Now()
	p.mustRun("make", "test-pgbouncer")
	p.t.Logf("integration suite behind PgBouncer: %v", time.Since(began).Round(time.Second))
}

// checkInBrowser runs the console's scenarios in headless Chromium
// (`make test-browser`) in the project already built and tested above.
// A failing scenario leaves its screenshot and log in the directory the
// test names.
func (p project) checkInBrowser() {
	p.t.Helper()
	artifacts := filepath.Join(os.TempDir(), "starter-browser-artifacts")
	began := time.Now()
	if out, err := p.run("make", "test-browser", "BROWSER_ARTIFACTS="+artifacts); err != nil {
		p.t.Fatalf("make test-browser: %v (screenshots and logs of failing scenarios in %s)\n%s", err, artifacts, out)
	}
	p.t.Logf("console in a browser: %v", time.Since(began).Round(time.Second))
}

// The client generator of the end-to-end test, pinned, and the runtime
// library its code imports. Neither reaches a generated project's go.mod:
// the client is generated and built in a scratch module beside it.
const (
	oapiCodegen = "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2"
	oapiRuntime = "github.com/oapi-codegen/runtime v1.9.0"
)

// openAPIClientCompiles generates a Go client from the project's OpenAPI
// document with oapi-codegen and builds it: the document is usable by the
// tools people generate clients with, not only valid.
func (p project) openAPIClientCompiles() {
	p.t.Helper()
	doc := p.stdout("go", "run", "./cmd/demo", "openapi")
	scratch := project{t: p.t, dir: p.t.TempDir()}
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	scratch.write("go.mod", "module client\n\ngo "+goVersion+"\n\nrequire "+oapiRuntime+"\n")
	scratch.write("openapi.json", doc)
	scratch.write("oapi-codegen.yaml", "package: client\ngenerate:\n  models: true\n  client: true\noutput: client.gen.go\n")
	scratch.mustRunModules("go", "run", oapiCodegen, "-config", "oapi-codegen.yaml", "openapi.json")
	scratch.mustRunModules("go", "mod", "tidy")
	scratch.mustRunModules("go", "build", "./...")
	scratch.mustRunModules("go", "vet", "./...")
}

// chaosPasses builds the project's binary once and runs its fault-injection
// suite at level 3 for 25 s (about 40 s in all, the drain included): real
// server and worker processes on a throw-away PostgreSQL, the database
// stopped hard and started again, workers killed with SIGKILL. It must pass,
// and its JSON report must say that tasks ran and none was lost or ran twice.
func (p project) chaosPasses() {
	t := p.t
	bin := filepath.Join(t.TempDir(), "demo")
	p.mustRun("go", "build", "-o", bin, "./cmd/demo")
	report := filepath.Join(t.TempDir(), "chaos.json")
	out, err := p.run(bin, "chaos", "--level", "3", "--duration", "25s", "--json", report)
	if err != nil {
		t.Fatalf("demo chaos --level 3: %v\n%s", err, tail(out, 80))
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Level  int  `json:"level"`
		Passed bool `json:"passed"`
		Tasks  struct {
			Created, Completed, Lost int
			RanTwice                 int `json:"ran_twice"`
		} `json:"tasks"`
		Faults map[string]int `json:"faults"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("chaos.json: %v\n%s", err, data)
	}
	if rep.Level != 3 || !rep.Passed || rep.Tasks.Created == 0 || rep.Tasks.Completed == 0 || rep.Tasks.Lost != 0 ||
		rep.Tasks.RanTwice != 0 || rep.Faults["worker kill"] == 0 || rep.Faults["database restart"] == 0 {
		t.Errorf("chaos report: %s", data)
	}
}

// mustRunModules is mustRun where go may fetch modules and write go.mod and
// go.sum (the scratch module of the client).
func (p project) mustRunModules(name string, args ...string) {
	p.t.Helper()
	out, err := p.command(name, args, "GOFLAGS=-mod=mod").CombinedOutput()
	if err != nil {
		p.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(string(out), 150))
	}
}

// stdout runs a command in the project and returns what it printed on
// stdout alone.
func (p project) stdout(name string, args ...string) string {
	p.t.Helper()
	var stderr bytes.Buffer
	cmd := p.command(name, args, "GOFLAGS=-mod=readonly")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		p.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(stderr.String(), 150))
	}
	return string(out)
}

func (p project) command(name string, args []string, goflags string) *exec.Cmd {
	cmd := exec.CommandContext(p.t.Context(), name, args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), goflags, "GOWORK=off")
	return cmd
}

// shippedConfigTest is added to each generated project so that its own
// `make test` loads the config/<env>.yaml files rendered for its features: an
// unknown key in a YAML template fails here. It is the generator's check, so
// users do not get it.
const shippedConfigTest = `package config

import (
	"os"
	"testing"
)

func TestShippedConfigFilesLoad(t *testing.T) {
	t.Parallel()
	for _, env := range []string{EnvDevelopment, EnvTest, EnvProduction} {
		if _, err := os.Stat("../../config/" + env + ".yaml"); err != nil {
			t.Fatal(err)
		}
		vars := map[string]string{"CONFIG_DIR": "../../config", "APP_ENV": env, "DATABASE_URL": "postgres://db.example/app"}
		if _, err := Load(func(k string) string { return vars[k] }, nil); err != nil {
			t.Errorf("%s: %v", env, err)
		}
	}
}
`

// write adds a file to the generated project.
func (p project) write(name, data string) {
	p.t.Helper()
	if err := os.WriteFile(filepath.Join(p.dir, filepath.FromSlash(name)), []byte(data), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// check holds a project to the promise: build, vet and gofmt clean, make test green.
func (p project) check() {
	p.t.Helper()
	p.mustRun("go", "build", "./...")
	p.mustRun("go", "vet", "./...")
	if out := p.mustRun("gofmt", "-l", "."); strings.TrimSpace(out) != "" {
		p.t.Errorf("gofmt -l lists files:\n%s", out)
	}
	p.mustRun("make", "test")
}

// lint runs the project's own make lint (golangci-lint with its
// .golangci.yml, go vet, go mod tidy -diff) on the grown project: the code
// generate resource and generate task write is held to the linters that
// make lint-golden holds starter new's to.
func (p project) lint() {
	p.t.Helper()
	began := time.Now()
	p.mustRun("make", "lint")
	p.t.Logf("make lint of the grown project: %v", time.Since(began).Round(time.Second))
}

// addTasksAfterEdits is `starter add tasks` into an auth project its owner has
// changed the way owners do (a route, a README line, a config value, a
// migration of their own), then committed: the merge must be clean, and the
// result tidy, building, vet-clean and passing its own tests.
func (p project) addTasksAfterEdits() {
	t := p.t
	g := gitProject{t, p.dir}
	g.edit("internal/httpapi/routes.go", "\tapi.HEAD(\"/health/startup\", s.handleStartup)\n",
		"\tapi.HEAD(\"/health/startup\", s.handleStartup)\n\tapi.GET(\"/ping\", func(c *gin.Context) { c.String(http.StatusOK, \"pong\") })\n")
	g.edit("internal/httpapi/routes.go", "import (\n", "import (\n\t\"net/http\"\n\n")
	// Every served route is in the OpenAPI document (the project's own tests
	// say so): the owner describes theirs in a part of their own.
	g.write("internal/httpapi/openapi/ping.yaml", pingPart)
	g.edit("README.md", "## Deploy\n", "## Deploy\n\nProduction runs behind the team's gateway.\n")
	g.edit("config/development.yaml", "request_timeout: 30s", "request_timeout: 20s")
	// What `migrate create notes` writes after the latest migration, the
	// second resource's (000006_auth_revocation_log, 000007_create_categories,
	// 000008_create_products).
	g.write("migrations/000009_notes.up.sql", "CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL);\n")
	g.write("migrations/000009_notes.down.sql", "DROP TABLE notes;\n")
	g.commit("our edits")
	u := g.plan(realSources(), UpdateRequest{Add: []string{"tasks"}, StarterVersion: "golden"})
	for _, c := range u.Changes {
		t.Logf("%-12s %s", c.Action, c.Path)
		if c.Action == Conflicted {
			t.Errorf("add tasks clashed with the owner's edits in %s:\n%s", c.Path, c.Data)
		}
	}
	if err := u.Apply(t.Context()); err != nil {
		t.Fatal(err)
	}
	// tasks brings five migrations (000003_tasks, 000005_tasks_controls,
	// 000007_tasks_trace, 000008_tasks_ids, 000009_tasks_breakers in the
	// templates): all follow the owner's, in their order.
	for _, name := range []string{"000010_tasks.up.sql", "000011_tasks_controls.up.sql", "000012_tasks_trace.up.sql",
		"000013_tasks_ids.up.sql", "000014_tasks_breakers.up.sql"} {
		if _, err := os.Stat(filepath.Join(p.dir, "migrations", name)); err != nil {
			t.Errorf("tasks' migrations do not follow the owner's: %v", err)
		}
	}
	if out, err := p.run("go", "mod", "tidy", "-diff"); err != nil {
		t.Errorf("go.mod is not tidy after add:\n%s", out)
	}
	p.check()
}

// pingPart is the OpenAPI part an owner writes for their own /ping route.
const pingPart = `tags:
  - name: ping
    description: Our load balancer's check.
paths:
  /api/v1/ping:
    get:
      operationId: ping
      tags: [ping]
      summary: Answer pong
      responses:
        '200':
          description: pong
          content:
            text/plain:
              schema: {type: string}
        '500': {$ref: '#/components/responses/InternalError'}
`

type project struct {
	t   *testing.T
	dir string
}

// run runs a command in the project with the pinned go.sum only (no go.mod
// edits), outside any workspace.
func (p project) run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(p.t.Context(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOWORK=off")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (p project) mustRun(name string, args ...string) string {
	p.t.Helper()
	out, err := p.run(name, args...)
	if err != nil {
		p.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(out, 150))
	}
	return out
}

// tail keeps the last n lines of a long command output.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return "…\n" + strings.Join(lines[len(lines)-n:], "\n")
}
