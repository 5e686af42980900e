package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"example.com/demo/internal/platform/pgembed"
	"github.com/jackc/pgx/v5"
)

func TestNewDatabaseIsMigratedAndPrivate(t *testing.T) {
	t.Parallel()
	first := connect(t, NewDatabase(t, sample))
	second := connect(t, NewDatabase(t, sample))
	ctx := context.Background()
	if _, err := first.Exec(ctx, "INSERT INTO users (email) VALUES ('a@example.com')"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, second, "SELECT count(*) FROM users"); n != 0 {
		t.Errorf("second database sees %d users of the first", n)
	}
	if n := count(t, first, "SELECT count(*) FROM pg_indexes WHERE indexname = 'notes_user_id'"); n != 1 {
		t.Errorf("clone lacks the migrated index")
	}
}

func TestDatabaseOfPassingTestIsDropped(t *testing.T) {
	t.Parallel()
	a := setup(t)
	f := &fakeTB{TB: t}
	dsn, ok := newDatabase(f, sample)
	if !ok {
		t.Fatalf("NewDatabase failed: %s", f.output())
	}
	conn := connect(t, dsn) // left open on purpose: the drop must not wait for it
	_ = conn
	f.finish()
	if exists(t, a, dbName(t, dsn)) {
		t.Errorf("database %s of a passing test still exists", dbName(t, dsn))
	}
	if f.Failed() {
		t.Errorf("cleanup failed: %s", f.output())
	}
}

func TestDatabaseOfFailedTestIsKeptAndLogged(t *testing.T) {
	t.Parallel()
	a := setup(t)
	f := &fakeTB{TB: t}
	dsn, ok := newDatabase(f, sample)
	if !ok {
		t.Fatalf("NewDatabase failed: %s", f.output())
	}
	name := dbName(t, dsn)
	t.Cleanup(func() { _ = a.drop(context.Background(), name) })
	f.fail()
	f.finish()
	if !exists(t, a, name) {
		t.Fatalf("database %s of a failed test was dropped", name)
	}
	if !strings.Contains(f.output(), "kept database "+name) {
		t.Errorf("log %q does not name the kept database", f.output())
	}
}

func TestParallelCallsGetDistinctDatabases(t *testing.T) {
	t.Parallel()
	a := setup(t)
	const n = 24
	fakes := make([]*fakeTB, n)
	dsns := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		fakes[i] = &fakeTB{TB: t}
		wg.Go(func() { dsns[i], _ = newDatabase(fakes[i], sample) })
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, dsn := range dsns {
		if dsn == "" {
			t.Fatalf("call %d failed: %s", i, fakes[i].output())
		}
		name := dbName(t, dsn)
		if seen[name] {
			t.Errorf("database %s handed out twice", name)
		}
		seen[name] = true
		count(t, connect(t, dsn), "SELECT count(*) FROM notes")
	}
	for i, f := range fakes {
		f.finish()
		if exists(t, a, dbName(t, dsns[i])) {
			t.Errorf("database %s not dropped", dbName(t, dsns[i]))
		}
	}
}

func TestFailingMigrationFailsTheTestAndLeavesNoTemplate(t *testing.T) {
	t.Parallel()
	a := setup(t)
	m := migratorWith("CREATE TABLE failing_migration (id int)")
	m.fail = errBoom
	f := &fakeTB{TB: t}
	if _, ok := newDatabase(f, m); ok {
		t.Fatal("NewDatabase succeeded with a failing migrator")
	}
	if !f.Failed() || !strings.Contains(f.output(), "boom") {
		t.Errorf("test not failed with the migration error: %q", f.output())
	}
	if exists(t, a, a.templateName(m)) {
		t.Errorf("half-built template %s left", a.templateName(m))
	}
}

func TestLeakedMigratorConnectionDoesNotBreakClones(t *testing.T) {
	t.Parallel()
	m := migratorWith("CREATE TABLE leaky (id int)")
	m.leak = true
	conn := connect(t, NewDatabase(t, m))
	count(t, conn, "SELECT count(*) FROM leaky")
}

func TestTemplateIsBuiltOnceByConcurrentProcesses(t *testing.T) {
	t.Parallel()
	iso := isolated(t)
	var runs atomic.Int32
	m := migratorWith("CREATE TABLE built_once (id int)")
	m.runs = &runs
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		// A separate admin per goroutine: separate connections, as separate processes have.
		wg.Go(func() {
			other, err := openAdmin(ctx, iso.dsn, iso.project)
			if err != nil {
				errs[i] = err
				return
			}
			defer other.close()
			errs[i] = other.ensureTemplate(ctx, m)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got := runs.Load(); got != 1 {
		t.Errorf("migrations ran %d times, want 1", got)
	}
}

func TestChangedMigrationsGetANewTemplateAndTheOldTemplateGoes(t *testing.T) {
	t.Parallel()
	iso := isolated(t)
	ctx := context.Background()
	v1 := migratorWith("CREATE TABLE v1 (id int)")
	v2 := migratorWith("CREATE TABLE v2 (id int)")
	if iso.templateName(v1) == iso.templateName(v2) {
		t.Fatal("different migration sets share a template name")
	}
	if err := iso.ensureTemplate(ctx, v1); err != nil {
		t.Fatal(err)
	}
	unused, err := iso.clone(ctx, iso.templateName(v1))
	if err != nil {
		t.Fatal(err)
	}
	inUse, err := iso.clone(ctx, iso.templateName(v1))
	if err != nil {
		t.Fatal(err)
	}
	conn := connect(t, iso.dsnFor(inUse))

	if err := iso.ensureTemplate(ctx, v2); err != nil {
		t.Fatal(err)
	}
	st, err := iso.status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(st.Templates); !slices.Equal(got, []string{iso.templateName(v2)}) {
		t.Errorf("templates = %v, want only the new one", got)
	}
	if got := names(st.Clones); len(got) != 2 || !slices.Contains(got, inUse) || !slices.Contains(got, unused) {
		t.Errorf("clones = %v, want both clones of the old set kept", got)
	}
	count(t, conn, "SELECT count(*) FROM v1")
}

func TestStatusCleanAndReset(t *testing.T) {
	t.Parallel()
	iso := isolated(t)
	ctx := context.Background()
	m := migratorWith("CREATE TABLE status_clean_reset (id int)")
	if err := iso.ensureTemplate(ctx, m); err != nil {
		t.Fatal(err)
	}
	kept, err := iso.clone(ctx, iso.templateName(m))
	if err != nil {
		t.Fatal(err)
	}
	st, err := iso.status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Templates) != 1 || len(st.Clones) != 1 || st.Clones[0].Bytes <= 0 || st.Templates[0].Set == "" {
		t.Fatalf("status = %+v, want one template and one clone with sizes", st)
	}

	if err := iso.dropTemplate(ctx, iso.templateName(m)); err != nil {
		t.Fatal(err)
	}
	if exists(t, iso, iso.templateName(m)) {
		t.Fatal("template survives dropTemplate")
	}
	if err := iso.ensureTemplate(ctx, m); err != nil {
		t.Fatal(err)
	}
	if !exists(t, iso, kept) {
		t.Error("dropping the template dropped a clone")
	}
	if err := iso.drop(ctx, kept); err != nil {
		t.Fatal(err)
	}
}

// TestMaintenanceFunctions runs the exported Status, Clean and Reset, which act on the project of
// this test binary, on a server of their own so they cannot disturb the other tests.
func TestMaintenanceFunctions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := pgembed.Start(ctx, pgembed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop(context.Background()) })
	dsn := srv.DSN("postgres")
	a, err := openAdmin(ctx, dsn, projectPrefix())
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	old := migratorWith("CREATE TABLE old_set (id int)")
	if err := a.ensureTemplate(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := Reset(ctx, dsn, sample); err != nil {
		t.Fatal(err)
	}
	kept, err := a.clone(ctx, a.templateName(sample))
	if err != nil {
		t.Fatal(err)
	}
	st, err := Status(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(st.Templates); !slices.Equal(got, []string{a.templateName(sample)}) {
		t.Errorf("templates = %v, want the sample's only (the old set dropped by the build)", got)
	}
	dropped, err := Clean(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dropped, []string{kept}) {
		t.Errorf("Clean dropped %v, want [%s]", dropped, kept)
	}
	if st, _ := Status(ctx, dsn); len(st.Clones)+len(st.Building) != 0 || len(st.Templates) != 1 {
		t.Errorf("after Clean: %+v", st)
	}
}

func TestRunSharesOneServerAndRemovesIt(t *testing.T) {
	t.Parallel()
	if _, err := shared.open(); err != nil {
		t.Fatal(err)
	}
	given := os.Getenv("TEST_DATABASE_URL") // set when this test itself runs under Run
	var stdout, stderr bytes.Buffer
	code, err := Run(context.Background(), &stdout, &stderr, os.Args[0], "-test.run=^TestHelperRun$")
	if err != nil {
		t.Fatal(err)
	}
	if code != 3 {
		t.Errorf("exit code = %d, want the command's 3; stderr: %s", code, stderr.String())
	}
	var dsn string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "url "); ok {
			dsn = rest
		}
	}
	if dsn == "" || given != "" && dsn != given {
		t.Fatalf("the command saw TEST_DATABASE_URL %q (given %q); output: %s", dsn, given, stdout.String())
	}
	if !strings.Contains(stdout.String(), "connected") {
		t.Errorf("the command could not use the server: %s", stdout.String())
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err == nil {
		conn.Close(context.Background())
	}
	if given == "" && err == nil {
		t.Error("the server Run started still accepts connections after Run")
	}
	if given != "" && err != nil {
		t.Errorf("Run disturbed the given server: %v", err)
	}
}

// TestHelperRun is the command TestRunSharesOneServerAndRemovesIt runs.
func TestHelperRun(t *testing.T) {
	t.Parallel()
	dsn := os.Getenv("TEST_DATABASE_URL")
	if !slices.Contains(os.Args, "-test.run=^TestHelperRun$") || dsn == "" {
		return
	}
	fmt.Println("url", dsn)
	if conn, err := pgx.Connect(context.Background(), dsn); err == nil {
		fmt.Println("connected")
		conn.Close(context.Background())
	}
	os.Exit(3)
}

func TestNoDatabaseSaysHowToProvideOne(t *testing.T) {
	t.Parallel()
	err := noDatabase(pgembed.ErrNoBinaries)
	if !strings.Contains(err.Error(), "TEST_DATABASE_URL") || !errors.Is(err, pgembed.ErrNoBinaries) {
		t.Errorf("message %q does not say how to provide a database", err)
	}
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct{ dsn, want string }{
		{"postgres://u:p@h:5/postgres?sslmode=disable", "postgres://u:p@h:5/x_1?sslmode=disable"},
		{"postgresql://h/", "postgresql://h/x_1"},
		{"host=h user=u dbname=postgres", "host=h user=u dbname=postgres dbname='x_1'"},
	}
	for _, tt := range tests {
		got := withDatabase(tt.dsn, "x_1")
		if got != tt.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
		if cfg, err := pgx.ParseConfig(got); err != nil || cfg.Database != "x_1" {
			t.Errorf("%q parses to database %v (%v)", got, cfg, err)
		}
	}
}

func TestRedactedHidesThePassword(t *testing.T) {
	t.Parallel()
	tests := []struct{ dsn, want string }{
		{"postgres://postgres:s3cret@127.0.0.1:5/x?sslmode=disable", "postgres://postgres:xxxxx@127.0.0.1:5/x?sslmode=disable"},
		{"postgres://postgres@h/x", "postgres://postgres@h/x"},
		{"host=h password=s3cret dbname='x'", "host=h password=xxxxx dbname='x'"},
		{"host=h password = 'it\\'s s3cret' dbname=x", "host=h password = xxxxx dbname=x"},
	}
	for _, tt := range tests {
		if got := redacted(tt.dsn); got != tt.want {
			t.Errorf("redacted(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

func TestNamesStayWithinTheIdentifierLimit(t *testing.T) {
	t.Parallel()
	a := &admin{project: projectPrefix()}
	name := a.templateName(sample) + "_" + randomHex(4)
	if len(name) > 63 {
		t.Errorf("clone name %s is %d bytes, PostgreSQL keeps 63", name, len(name))
	}
	set, clone := a.parseName(name)
	if !clone || len(set) != 16 {
		t.Errorf("parseName(%s) = %s, %v", name, set, clone)
	}
}

func TestSparesArePreparedAndDroppedOnClose(t *testing.T) {
	t.Parallel()
	iso := isolated(t)
	ctx := context.Background()
	h := &harness{opened: true, admin: iso, spares: 2}
	taken, err := h.clone(ctx, iso, sample)
	if err != nil {
		t.Fatal(err)
	}
	h.refills.Wait()
	st, err := iso.status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Clones) != 3 {
		t.Errorf("clones = %v, want the taken one and 2 spares", names(st.Clones))
	}
	second, err := h.clone(ctx, iso, sample)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.close(ctx); err != nil {
		t.Fatal(err)
	}
	st, err = iso.status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(st.Clones); len(got) != 2 || !slices.Contains(got, taken) || !slices.Contains(got, second) {
		t.Errorf("after close clones = %v, want only the taken %s and %s", got, taken, second)
	}
}

func TestTemplateDroppedElsewhereIsRebuilt(t *testing.T) {
	t.Parallel()
	iso := isolated(t)
	ctx := context.Background()
	h := &harness{opened: true, admin: iso}
	if _, err := h.clone(ctx, iso, sample); err != nil {
		t.Fatal(err)
	}
	// Another process (a reset, a newer migration set) drops the template.
	if err := iso.dropTemplate(ctx, iso.templateName(sample)); err != nil {
		t.Fatal(err)
	}
	name, err := h.clone(ctx, iso, sample)
	if err != nil {
		t.Fatalf("clone after the template was dropped: %v", err)
	}
	count(t, connect(t, iso.dsnFor(name)), "SELECT count(*) FROM notes")
}

func TestRunReportsDatabasesKeptOnAThrowAwayServer(t *testing.T) {
	t.Parallel()
	iso := isolated(t)
	ctx := context.Background()
	if err := iso.ensureTemplate(ctx, sample); err != nil {
		t.Fatal(err)
	}
	if _, err := iso.clone(ctx, iso.templateName(sample)); err != nil { // kept by a "failed test"
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	reportKept(ctx, &stderr, iso.dsn)
	if !strings.Contains(stderr.String(), "kept by failed tests") || !strings.Contains(stderr.String(), "TEST_DATABASE_URL") {
		t.Errorf("report = %q, want the kept databases and how to keep them", stderr.String())
	}
}
