package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"
)

// TestDocumentIsValid loads the embedded document as a client would and
// validates it, examples included.
func TestDocumentIsValid(t *testing.T) {
	t.Parallel()
	doc := load(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3 (the version kin-openapi and oapi-codegen support fully)", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("the document is not valid: %v", err)
	}
}

// TestEveryOperationIsDescribed holds each operation to the conventions a
// client generator and a reader rely on.
func TestEveryOperationIsDescribed(t *testing.T) {
	t.Parallel()
	doc := load(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			switch {
			case op.OperationID == "":
				t.Errorf("%s has no operationId", name)
			case len(op.Tags) != 1:
				t.Errorf("%s: want one tag, got %v", name, op.Tags)
			case op.Summary == "":
				t.Errorf("%s has no summary", name)
			case op.Responses.Value("500") == nil:
				t.Errorf("%s does not describe its 500", name)
			}
			if op.Security != nil && op.Responses.Value("401") == nil {
				t.Errorf("%s needs a token but does not describe its 401", name)
			}
			// A token is checked in the database, which may be away: 503.
			if op.Security != nil && op.Responses.Value("503") == nil {
				t.Errorf("%s needs a token but does not describe its 503", name)
			}
			if op.RequestBody != nil {
				for _, status := range []string{"400", "413", "415", "422"} {
					if op.Responses.Value(status) == nil {
						t.Errorf("%s takes a body but does not describe its %s", name, status)
					}
				}
			}
		}
	}
}

// TestErrorCodesMatchApperr keeps the ErrorCode enum equal to the codes of
// internal/apperr: a code the service can send is documented, and the
// document lists no code the service lost.
func TestErrorCodesMatchApperr(t *testing.T) {
	t.Parallel()
	var documented []string
	for _, v := range load(t).Components.Schemas["ErrorCode"].Value.Enum {
		documented = append(documented, v.(string))
	}
	codes := apperrCodes(t)
	for _, c := range codes {
		if !slices.Contains(documented, c) {
			t.Errorf("apperr code %s is not in components.schemas.ErrorCode", c)
		}
	}
	for _, c := range documented {
		if !slices.Contains(codes, c) {
			t.Errorf("components.schemas.ErrorCode lists %s, which internal/apperr does not define", c)
		}
	}
}

// apperrCodes reads the values of every constant of type Code in internal/apperr.
func apperrCodes(t *testing.T) []string {
	t.Helper()
	pkgs, err := parser.ParseDir(token.NewFileSet(), "../../apperr", func(fi fs.FileInfo) bool { //nolint:staticcheck // apperr has no build-tagged files
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			ast.Inspect(f, func(n ast.Node) bool {
				spec, ok := n.(*ast.ValueSpec)
				if !ok || len(spec.Values) != len(spec.Names) {
					return true
				}
				if typ, ok := spec.Type.(*ast.Ident); !ok || typ.Name != "Code" {
					return true
				}
				for _, v := range spec.Values {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						codes = append(codes, s)
					}
				}
				return true
			})
		}
	}
	if len(codes) == 0 {
		t.Fatal("no Code constants found in internal/apperr")
	}
	return codes
}

// TestDocsAssetsMatchTheDocument keeps the enum of GET /api/v1/docs/{asset}
// equal to the files the page is made of.
func TestDocsAssetsMatchTheDocument(t *testing.T) {
	t.Parallel()
	op := load(t).Paths.Value("/api/v1/docs/{asset}").Get
	var documented []string
	for _, v := range op.Parameters.GetByInAndName("path", "asset").Schema.Value.Enum {
		documented = append(documented, v.(string))
	}
	served := AssetNames()
	slices.Sort(documented)
	if !slices.Equal(documented, served) {
		t.Errorf("the document lists assets %v, the page has %v", documented, served)
	}
}

// TestJSONKeepsTheOrderOfTheParts checks that the served JSON lists paths in
// the order the parts give them, core first (the docs page shows that order).
func TestJSONKeepsTheOrderOfTheParts(t *testing.T) {
	t.Parallel()
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	js := string(d.JSON())
	first, health, openapi := strings.Index(js, `"openapi"`), strings.Index(js, `"/api/v1/health"`), strings.Index(js, `"/api/v1/openapi.json"`)
	if first != 1 || health < 0 || openapi < health {
		t.Errorf("order lost: openapi at %d, /health at %d, /openapi.json at %d", first, health, openapi)
	}
	var fromYAML, fromJSON any
	if err := yaml.Unmarshal(d.YAML(), &fromYAML); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(d.IndentedJSON(), &fromJSON); err != nil {
		t.Fatal(err)
	}
	// Round-trip both through JSON so that the two decoders' types agree.
	a, _ := json.Marshal(fromYAML)
	b, _ := json.Marshal(fromJSON)
	if string(a) != string(b) {
		t.Error("the YAML and the JSON documents differ")
	}
}

func TestAssemble(t *testing.T) {
	t.Parallel()
	base := "openapi: 3.0.3\ninfo: {title: t, version: v}\ntags: [{name: core}]\npaths:\n  /a:\n    get: {operationId: getA}\ncomponents:\n  schemas:\n    A: {type: string}\n"
	cases := []struct {
		name  string
		parts []string
		want  string // the assembled JSON, or the error's text
	}{
		{"base alone", nil,
			`{"openapi":"3.0.3","info":{"title":"t","version":"v"},"tags":[{"name":"core"}],"paths":{"/a":{"get":{"operationId":"getA"}}},"components":{"schemas":{"A":{"type":"string"}}}}`},
		{"a part adds tags, paths, an operation and components",
			[]string{"tags: [{name: b}]\npaths:\n  /a:\n    post: {operationId: postA}\n  /b:\n    get: {operationId: getB}\ncomponents:\n  schemas:\n    B: {type: integer}\n  responses:\n    R: {description: r}\n"},
			`{"openapi":"3.0.3","info":{"title":"t","version":"v"},"tags":[{"name":"core"},{"name":"b"}],"paths":{"/a":{"get":{"operationId":"getA"},"post":{"operationId":"postA"}},"/b":{"get":{"operationId":"getB"}}},"components":{"schemas":{"A":{"type":"string"},"B":{"type":"integer"}},"responses":{"R":{"description":"r"}}}}`},
		{"parts apply in order", []string{"paths:\n  /c:\n    get: {operationId: c}\n", "paths:\n  /b:\n    get: {operationId: b}\n"},
			`{"openapi":"3.0.3","info":{"title":"t","version":"v"},"tags":[{"name":"core"}],"paths":{"/a":{"get":{"operationId":"getA"}},"/c":{"get":{"operationId":"c"}},"/b":{"get":{"operationId":"b"}}},"components":{"schemas":{"A":{"type":"string"}}}}`},
		{"an operation twice", []string{"paths:\n  /a:\n    get: {operationId: again}\n"}, "part1.yaml: get /a is defined twice"},
		{"a component twice", []string{"components:\n  schemas:\n    A: {type: object}\n"}, "part1.yaml: components.schemas.A is defined twice"},
		{"a tag twice", []string{"tags: [{name: core}]\n"}, `part1.yaml: tag "core" is defined twice`},
		{"a part may not change info", []string{"info: {title: mine}\n"}, `part1.yaml: top-level key "info": a part may only add`},
		{"not a mapping", []string{"- a\n"}, "part1.yaml: the top level is not a mapping"},
		{"bad YAML", []string{"paths: [\n"}, "part1.yaml: yaml:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			parts := []Part{{Name: "core.yaml", Data: []byte(base)}}
			for i, p := range tc.parts {
				parts = append(parts, Part{Name: "part" + strconv.Itoa(i+1) + ".yaml", Data: []byte(p)})
			}
			root, err := Assemble(parts)
			if err != nil {
				if !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %q, want %q", err, tc.want)
				}
				return
			}
			var buf bytes.Buffer
			if err := encodeJSON(&buf, root); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Errorf("got  %s\nwant %s", buf.String(), tc.want)
			}
		})
	}
}

func load(t *testing.T) *openapi3.T {
	t.Helper()
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(d.JSON())
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
