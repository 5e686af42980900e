package generator

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// taskProject writes a golden project of features into a new directory.
func taskProject(t *testing.T, features ...string) string {
	t.Helper()
	p, err := NewPlan(context.Background(), realSources(), goldenOptions(features))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "demo")
	if err := p.writeFiles(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// taskTree reads every file under dir, by slash path.
func taskTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(name)
		rel, _ := filepath.Rel(dir, name)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTaskGolden compares the files of `starter generate task resize_image`
// in the full golden project with testdata/generate/task: the handler, its
// test and the list of own types with its line. `go test ./generator -run
// Golden -update` rewrites them.
func TestTaskGolden(t *testing.T) {
	t.Parallel()
	dir := taskProject(t, "auth", "tasks")
	p, err := PlanTask(context.Background(), realSources(), dir, TaskRequest{Name: "resize_image"})
	if err != nil {
		t.Fatal(err)
	}
	var files []File
	for _, f := range p.Files {
		files = append(files, f.File)
	}
	golden := filepath.Join("..", "testdata", "generate", "task")
	if *update {
		if err := os.RemoveAll(golden); err != nil {
			t.Fatal(err)
		}
		if err := (&Plan{Files: files}).writeFiles(context.Background(), golden); err != nil {
			t.Fatal(err)
		}
		return
	}
	compareTree(t, golden, files)
}

// Writing puts the handler and the test in place and the line in ownTypes(),
// and a second run refuses the type that now exists, writing nothing.
func TestTaskWriteThenExists(t *testing.T) {
	t.Parallel()
	dir := taskProject(t, "auth", "tasks")
	before := taskTree(t, dir)
	p, err := PlanTask(context.Background(), realSources(), dir, TaskRequest{Name: "send_invoice"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := taskTree(t, dir)
	var changed []string
	for name, data := range after {
		if before[name] != data {
			changed = append(changed, name)
		}
	}
	slices.Sort(changed)
	want := []string{"internal/tasks/handler_send_invoice.go", "internal/tasks/own_types.go", "tests/send_invoice_task_test.go"}
	if !slices.Equal(changed, want) || len(after) != len(before)+2 {
		t.Fatalf("changed %v (%d files, were %d), want %v", changed, len(after), len(before), want)
	}
	if !strings.Contains(after["internal/tasks/own_types.go"], "\t\tregisterSendInvoice,\n\t}\n") {
		t.Errorf("own_types.go:\n%s", after["internal/tasks/own_types.go"])
	}
	_, err = PlanTask(context.Background(), realSources(), dir, TaskRequest{Name: "send_invoice"})
	wantInputError(t, err, `invalid task type "send_invoice": exists already (internal/tasks/handler_send_invoice.go)`)
	assertSameTree(t, dir, after)
}

// Every bad request is an InputError naming the value and the rule, and
// leaves the project as it was.
func TestTaskBadInput(t *testing.T) {
	t.Parallel()
	full, auth := taskProject(t, "auth", "tasks"), taskProject(t, "auth")
	writeFile(t, filepath.Join(full, "internal/tasks/thumbnails.go"),
		"package tasks\n\nconst TypeThumbnail = \"thumbnail\"\n\nfunc registerOwn() {}\n")
	cases := []struct {
		dir, name, want string
	}{
		{full, "ResizeImage", `invalid task type "ResizeImage": must be lowercase snake_case`},
		{full, "resize-image", `invalid task type "resize-image": must be lowercase snake_case`},
		{full, "resize__image", `must be lowercase snake_case`},
		{full, "resize_", `must be lowercase snake_case`},
		{full, "2fa", `must be lowercase snake_case`},
		{full, "", `must be lowercase snake_case`},
		{full, strings.Repeat("x", 65), `must be at most 64 characters`},
		{full, "email", `invalid task type "email": is a built-in task type`},
		{full, "delay_task", `is a built-in task type`},
		{full, "thumbnail", `invalid task type "thumbnail": exists already (internal/tasks/thumbnails.go)`},
		{full, "sync_linux", `invalid task type "sync_linux": is reserved: a file name ending in _linux is built only`},
		{full, "load_test", `is reserved: a file name ending in _test`},
		{full, "pack_arm64", `ending in _arm64`},
		{full, "own", `invalid task type "own": its code would redeclare registerOwn, which internal/tasks/thumbnails.go declares`},
		{auth, "resize_image", `invalid project "demo": lacks the tasks feature that task types run on (its features: auth); ` +
			`add it first: starter add tasks`},
	}
	for _, tc := range cases {
		before := taskTree(t, tc.dir)
		_, err := PlanTask(context.Background(), realSources(), tc.dir, TaskRequest{Name: tc.name})
		wantInputError(t, err, tc.want)
		assertSameTree(t, tc.dir, before)
	}
}

// When ownTypes() is gone, nothing is written and the error gives the line
// to add by hand; once its owner has added it (anywhere in the file), the
// files are written and the file is left alone.
func TestTaskEditPointGone(t *testing.T) {
	t.Parallel()
	dir := taskProject(t, "auth", "tasks")
	own := filepath.Join(dir, "internal/tasks/own_types.go")
	writeFile(t, own, "package tasks\n\n// Types are registered in NewService.\nfunc RegisterOwn(r *Registry, b Builtins) {}\n")
	before := taskTree(t, dir)
	_, err := PlanTask(context.Background(), realSources(), dir, TaskRequest{Name: "resize_image"})
	var ep *EditPointError
	if !errors.As(err, &ep) || ep.Line != "registerResizeImage," || !strings.Contains(err.Error(), "internal/tasks/own_types.go: cannot find func ownTypes()") {
		t.Fatalf("want an edit point error with the line to add, got %v", err)
	}
	assertSameTree(t, dir, before)

	if err := os.Remove(own); err != nil {
		t.Fatal(err)
	}
	before = taskTree(t, dir)
	_, err = PlanTask(context.Background(), realSources(), dir, TaskRequest{Name: "resize_image"})
	if !errors.As(err, &ep) || !strings.Contains(err.Error(), "cannot find the file") || !strings.Contains(err.Error(), "starter upgrade") {
		t.Fatalf("want an edit point error naming the missing file, got %v", err)
	}
	assertSameTree(t, dir, before)

	byHand := "package tasks\n\nfunc RegisterOwn(r *Registry, b Builtins) {\n\tregisterResizeImage(r, b)\n}\n"
	writeFile(t, own, byHand)
	p, err := PlanTask(context.Background(), realSources(), dir, TaskRequest{Name: "resize_image"})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range p.Files {
		paths = append(paths, f.Action+" "+f.Path)
	}
	if want := []string{"create internal/tasks/handler_resize_image.go", "create tests/resize_image_task_test.go"}; !slices.Equal(paths, want) {
		t.Fatalf("files %v, want %v", paths, want)
	}
}

// RegisterTaskType edits the list through the syntax tree: comments and
// the owner's lines stay, and a list written on one line still takes it.
func TestRegisterTaskType(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, src, want string }{
		{"empty list", "package tasks\n\nfunc ownTypes() []func(*Registry, Builtins) {\n\treturn []func(*Registry, Builtins){\n\t\t// Task types go below this line, one line each.\n\t}\n}\n",
			"\t\t// Task types go below this line, one line each.\n\t\tregisterResizeImage,\n\t}\n"},
		{"after the owner's", "package tasks\n\nfunc ownTypes() []func(*Registry, Builtins) {\n\treturn []func(*Registry, Builtins){registerMine, // mine\n\t}\n}\n",
			"registerMine, // mine\n\t\tregisterResizeImage,\n\t}\n"},
		{"one line", "package tasks\n\nfunc ownTypes() []func(*Registry, Builtins) { return []func(*Registry, Builtins){registerMine} }\n",
			"{registerMine, registerResizeImage}\n"},
	}
	for _, tc := range cases {
		got, err := RegisterTaskType([]byte(tc.src), "registerResizeImage")
		if err != nil || !strings.Contains(string(got), tc.want) {
			t.Errorf("%s: got %v\n%s\nwant it to contain %q", tc.name, err, got, tc.want)
		}
	}
}

func wantInputError(t *testing.T, err error, want string) {
	t.Helper()
	if !IsInputError(err) || !strings.Contains(err.Error(), want) {
		t.Errorf("want an input error containing %q, got %v", want, err)
	}
}

func assertSameTree(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	after := taskTree(t, dir)
	if !maps.Equal(before, after) {
		for name := range after {
			if before[name] != after[name] {
				t.Errorf("%s changed or appeared", name)
			}
		}
		for name := range before {
			if _, ok := after[name]; !ok {
				t.Errorf("%s removed", name)
			}
		}
	}
}

// BenchmarkPlanTask is `starter generate task` short of writing: validate,
// read the project's task types, render, check clashes, edit the list.
func BenchmarkPlanTask(b *testing.B) {
	p, err := NewPlan(context.Background(), realSources(), goldenOptions([]string{"auth", "tasks"}))
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "demo")
	if err := p.writeFiles(context.Background(), dir); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := PlanTask(context.Background(), realSources(), dir, TaskRequest{Name: "resize_image"}); err != nil {
			b.Fatal(err)
		}
	}
}
