package generator

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
)

// TaskRequest is what `starter generate task` is asked for.
type TaskRequest struct {
	// Name is the task type, snake_case (resize_image): its name in the API,
	// and the name of its files.
	Name string
}

// TaskPlan is a task type rendered in memory together with the edit of the
// list that registers it: writing is the only step left. Building one
// validates everything and writes nothing.
type TaskPlan struct {
	// Type is the task type's name.
	Type string
	// Files are the files written, sorted by path: the handler and its tests
	// ("create") and the list of the service's own types ("edit").
	Files []ResourceFile
	dir   string
}

// The files of a generated task type, and the registration point it joins.
const (
	tasksDir      = "internal/tasks/"
	ownTypesFile  = tasksDir + "own_types.go"
	ownTypesFunc  = "ownTypes"
	taskFeature   = "tasks"
	maxTaskLength = 64 // the API's longest task type name
)

// taskTemplates are the files of templates/task and where each goes.
var taskTemplates = []struct { //nolint:gochecknoglobals // a table that is never written
	source string
	target func(d taskData) string
}{
	{"handler.go.tmpl", func(d taskData) string { return tasksDir + "handler_" + d.Name + ".go" }},
	{"test.go.tmpl", func(d taskData) string { return "tests/" + d.Name + "_task_test.go" }},
}

// builtinTaskTypes are the task types every project with tasks has. They
// stay reserved where an owner removed one: an upgrade would bring it back.
var builtinTaskTypes = []string{"data_processing", "delay_task", "email", "file_cleanup", "report_generation", "webhook"} //nolint:gochecknoglobals // a table that is never written

// buildSuffixes are the last parts of a file name (x_linux.go, x_test.go)
// that make the go command build the file only for one system or
// architecture, or only in tests: a handler file may not end in one.
//
//nolint:gochecknoglobals // a table that is never written
var buildSuffixes = strings.Fields(`test aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd
	openbsd plan9 solaris wasip1 windows zos 386 amd64 amd64p32 arm armbe arm64 arm64be loong64 mips mipsle mips64
	mips64le mips64p32 mips64p32le ppc ppc64 ppc64le riscv riscv64 s390 s390x sparc sparc64 wasm`)

// PlanTask validates a request for a task type in the project rooted at dir
// and renders it, with the edit that registers it. Bad input is an
// *InputError naming the value and the rule; a list of own types that is
// gone is an *EditPointError giving the line to add by hand.
func PlanTask(ctx context.Context, src Sources, dir string, req TaskRequest) (*TaskPlan, error) {
	cfg, err := ReadProjectConfig(dir)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(cfg.Features, taskFeature) {
		return nil, &InputError{"project", cfg.Name, fmt.Sprintf("lacks the tasks feature that task types run on "+
			"(its features: %s); add it first: starter add tasks", featuresOrNone(cfg.Features))}
	}
	if err := checkTaskName(req.Name); err != nil {
		return nil, err
	}
	d := taskData{Module: cfg.Module, Name: req.Name}
	if err := checkNewTask(dir, d); err != nil {
		return nil, err
	}
	p := &TaskPlan{Type: d.Name, dir: dir}
	if err := p.render(ctx, src.Templates, d); err != nil {
		return nil, err
	}
	for _, f := range p.Files {
		if err := checkTaskClashes(dir, d.Name, f); err != nil {
			return nil, err
		}
	}
	return p, p.register(dir, d)
}

func featuresOrNone(features []string) string {
	if len(features) == 0 {
		return "none"
	}
	return strings.Join(features, ", ")
}

// checkTaskName holds a task type's name to the rules of its three uses: a
// type name of the API (at most 64 characters), a part of Go names, and a
// part of file names the go command builds everywhere.
func checkTaskName(name string) error {
	last := name[strings.LastIndex(name, "_")+1:]
	switch {
	case !nameRE.MatchString(name) || strings.Contains(name, "__") || strings.HasSuffix(name, "_"):
		return &InputError{"task type", name, "must be lowercase snake_case ([a-z][a-z0-9_]*, no __, no trailing _)"}
	case len(name) > maxTaskLength:
		return &InputError{"task type", name, fmt.Sprintf("must be at most %d characters", maxTaskLength)}
	case slices.Contains(builtinTaskTypes, name):
		return &InputError{"task type", name, "is a built-in task type (" + strings.Join(builtinTaskTypes, ", ") + ")"}
	case strings.Contains(name, "_") && slices.Contains(buildSuffixes, last):
		return &InputError{"task type", name, fmt.Sprintf("is reserved: a file name ending in _%s is built only "+
			"for one system, architecture or the tests", last)}
	}
	return nil
}

// checkNewTask refuses a task type the project has: a constant of package
// tasks holds its name, or one of its files exists.
func checkNewTask(dir string, d taskData) error {
	types, err := projectTaskTypes(dir)
	if err != nil {
		return err
	}
	if where, ok := types[d.Name]; ok {
		return &InputError{"task type", d.Name, "exists already (" + where + ")"}
	}
	for _, t := range taskTemplates {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(t.target(d)))); err == nil {
			return &InputError{"task type", d.Name, "exists already (" + t.target(d) + ")"}
		}
	}
	return nil
}

// render executes the templates of the task type; Go files are formatted.
func (p *TaskPlan) render(ctx context.Context, fsys fs.FS, d taskData) error {
	for _, t := range taskTemplates {
		if err := ctx.Err(); err != nil {
			return err
		}
		source := "task/" + t.source
		text, err := fs.ReadFile(fsys, source)
		if err != nil {
			return err
		}
		tmpl, err := template.New(t.source).Option("missingkey=error").Parse(string(text))
		if err != nil {
			return fmt.Errorf("template %s: %w", source, err)
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, d); err != nil {
			return fmt.Errorf("template %s: %w", source, err)
		}
		name := t.target(d)
		data, err := formatGo(buf.Bytes())
		if err != nil {
			return fmt.Errorf("template %s: generated %s does not parse: %w", source, name, err)
		}
		p.Files = append(p.Files, ResourceFile{File{name, data}, "create"})
	}
	return nil
}

// register adds the edit of the list of the service's own task types.
func (p *TaskPlan) register(dir string, d taskData) error {
	src, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(ownTypesFile)))
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	edited, err := RegisterTaskType(src, d.Register())
	if err != nil {
		return err
	}
	if edited != nil {
		p.Files = append(p.Files, ResourceFile{File{ownTypesFile, edited}, "edit"})
	}
	slices.SortFunc(p.Files, func(a, b ResourceFile) int { return strings.Compare(a.Path, b.Path) })
	return nil
}

// Write writes the plan into the project through a staging directory next
// to it, then renames the files into place (Plan.Write), so a failure
// before the renames leaves the project as it was.
func (p *TaskPlan) Write(ctx context.Context) error {
	plan := &Plan{Options: Options{Force: true}}
	for _, f := range p.Files {
		plan.Files = append(plan.Files, f.File)
	}
	return plan.Write(ctx, p.dir)
}

// WriteSummary prints what the plan writes, one file a line.
func (p *TaskPlan) WriteSummary(w io.Writer) error {
	for _, f := range p.Files {
		if _, err := fmt.Fprintf(w, "%-8s %s\n", f.Action, f.Path); err != nil {
			return err
		}
	}
	return nil
}

// TestPattern is the -run pattern of the task type's generated tests.
func (p *TaskPlan) TestPattern() string {
	return "Test" + goName(p.Type) + "Task"
}

// taskData is what the templates of templates/task see: the module and the
// task type's name, and the Go names made of it.
type taskData struct {
	Module string
	// Name is the task type (resize_image).
	Name string
}

// GoName is the type's exported Go name: ResizeImage.
func (d taskData) GoName() string { return goName(d.Name) }

// Const is the constant holding the type's name: TypeResizeImage.
func (d taskData) Const() string { return "Type" + d.GoName() }

// Payload, Result, Handler, Register and MaxInput are the Go names of the
// handler file.
func (d taskData) Payload() string  { return lowerName(d.Name) + "Payload" }
func (d taskData) Result() string   { return d.GoName() + "Result" }
func (d taskData) Handler() string  { return lowerName(d.Name) + "Handler" }
func (d taskData) Register() string { return "register" + d.GoName() }
func (d taskData) MaxInput() string { return "Max" + d.GoName() + "Input" }

// Setup is the set-up function of the type's tests.
func (d taskData) Setup() string { return "setup" + d.GoName() + "Task" }

// Human is the type's name as words, for its description: "Resize image".
func (d taskData) Human() string { return human(d.Name) }
