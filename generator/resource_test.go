package generator

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

func TestPlural(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"product": "products", "category": "categories", "box": "boxes", "key": "keys", "bus": "buses",
		"match": "matches", "wish": "wishes", "line_item": "line_items", "y": "ys",
	} {
		if got := Plural(name); got != want {
			t.Errorf("Plural(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestGoName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"category_id": "CategoryID", "title": "Title", "api_url": "APIURL", "in_stock": "InStock", "uuid": "UUID",
	} {
		if got := GoName(name); got != want {
			t.Errorf("GoName(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestParseField reads every type and modifier as the command line gives
// them, and refuses what cannot be a column.
func TestParseField(t *testing.T) {
	t.Parallel()
	resources := []ProjectResource{{Name: "category", Plural: "categories", Access: AccessPublic}}
	for _, c := range []struct {
		spec                    string
		typ, ref                string
		required, unique, index bool
		bad                     string // the InputError's field, "" when valid
	}{
		{spec: "title:string", typ: "string"},
		{spec: "body:text:optional", typ: "text"},
		{spec: "count:int:required:index", typ: "int", required: true, index: true},
		{spec: "ratio:float:unique", typ: "float", unique: true},
		{spec: "price:decimal:required:unique:index", typ: "decimal", required: true, unique: true, index: true},
		{spec: "done:bool:index", typ: "bool", index: true},
		{spec: "at:time", typ: "time"},
		{spec: "due_on:date:unique", typ: "date", unique: true},
		{spec: "code:uuid:unique", typ: "uuid", unique: true},
		{spec: "meta:json", typ: "json"},
		{spec: "category_id:ref:category:required", typ: "ref", ref: "category", required: true},
		{spec: "title", bad: "field"},
		{spec: ":string", bad: "field"},
		{spec: "price:money", bad: "type"},
		{spec: "title:string:mandatory", bad: "modifier"},
		{spec: "title:string:index:index", bad: "modifier"},
		{spec: "title:string:required:optional", bad: "field"},
		{spec: "meta:json:index", bad: "field"},
		{spec: "done:bool:unique", bad: "field"},
		{spec: "brand_id:ref:brand", bad: "ref"},
		{spec: "brand_id:ref", bad: "field"},
		{spec: "Title:string", bad: "field"},
		{spec: "range:int", bad: "field"},
		{spec: "var:int", bad: "field"},
	} {
		f, err := parseField(c.spec, resources)
		if c.bad != "" {
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != c.bad {
				t.Errorf("%s: err = %v, want an invalid %s", c.spec, err, c.bad)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.spec, err)
			continue
		}
		ref := ""
		if f.Ref != nil {
			ref = f.Ref.Name
		}
		if f.Type != c.typ || ref != c.ref || f.Required != c.required || f.Unique != c.unique || f.Index != c.index {
			t.Errorf("%s: got %+v (ref %q)", c.spec, *f, ref)
		}
	}
}

// TestRecordedResourcesRenderAgain: the .starter.yaml generate resource
// edits is, byte for byte, the one the templates render for the options it
// then holds. So `starter add` and `starter upgrade`, which render it again
// and merge, find both sides agree on the resources: no conflict.
func TestRecordedResourcesRenderAgain(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")
	if err := Generate(t.Context(), realSources(), goldenOptions([]string{"auth"}), dir); err != nil {
		t.Fatal(err)
	}
	for _, req := range []ResourceRequest{
		{Name: "category", Fields: []string{"name:string"}, Public: true},
		{Name: "product", Fields: []string{"title:string", "category_id:ref:category"}},
	} {
		writeResource(t, dir, req)
		cfg, err := ReadProjectConfig(dir)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := NewPlan(t.Context(), realSources(), cfg.Options())
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, ProjectFile))
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(plan.Files, func(f File) bool { return f.Path == ProjectFile })
		if want := plan.Files[i].Data; !bytes.Equal(got, want) {
			t.Errorf("after %s, %s is not what the templates render for it: %s", req.Name, ProjectFile,
				firstDiff(string(want), string(got)))
		}
	}
}

// TestRecordedResourcesMergeWithAdd: `starter add tasks` after `generate
// resource` merges .starter.yaml cleanly (git merge-file, as the update
// does): the resources the project recorded and the migrations add renames
// are apart.
func TestRecordedResourcesMergeWithAdd(t *testing.T) {
	t.Parallel()
	render := func(opts Options) []byte {
		t.Helper()
		plan, err := NewPlan(t.Context(), realSources(), opts)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(plan.Files, func(f File) bool { return f.Path == ProjectFile })
		return plan.Files[i].Data
	}
	category := ProjectResource{Name: "category", Plural: "categories", Access: AccessPublic}
	base := render(goldenOptions([]string{"auth"}))
	ours, err := recordResource(base, category)
	if err != nil {
		t.Fatal(err)
	}
	next := goldenOptions([]string{"auth", "tasks"})
	next.Migrations = map[string]string{"000003_tasks": "000010_tasks"}
	next.Resources = []ProjectResource{category}
	theirs := render(next)
	dir := t.TempDir()
	names := []string{"ours", "base", "theirs"}
	for i, data := range [][]byte{ours, base, theirs} {
		if err := os.WriteFile(filepath.Join(dir, names[i]), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("git", "merge-file", "-p", "ours", "base", "theirs")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git merge-file: %v\n%s", err, out)
	}
	if !bytes.Equal(out, theirs) {
		t.Errorf("merged .starter.yaml is not the rendered one: %s", firstDiff(string(theirs), string(out)))
	}
}
