package generator

import (
	"errors"
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
