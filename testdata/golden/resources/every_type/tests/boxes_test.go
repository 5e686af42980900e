package tests

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/boxes"
)

// boxesAPI is a service for the tests of the boxes resource.
type boxesAPI struct {
	app *apptest.TestApp
}

func setupBoxes(t *testing.T) *boxesAPI {
	t.Helper()
	a := &boxesAPI{app: apptest.New(t)}
	return a
}

const boxesPath = "/api/v1/boxes"

func boxPath(id uuid.UUID) string { return boxesPath + "/" + id.String() }

// bad is the suite with a client whose requests break the API's document on
// purpose (apptest's Invalid); the answers are still checked.
func (a *boxesAPI) bad() *boxesAPI {
	b := *a
	b.app = a.app.Invalid()
	return &b
}

func (a *boxesAPI) create(t *testing.T, overrides map[string]any) boxes.Box {
	t.Helper()
	return a.app.CreateBox(overrides)
}

func (a *boxesAPI) body(overrides map[string]any) map[string]any {
	return a.app.BoxBody(overrides)
}

func (a *boxesAPI) post(body any) *apptest.Response {
	return a.app.PostJSON(boxesPath, body)
}

func (a *boxesAPI) get(path string) *apptest.Response {
	return a.app.Get(path)
}

func (a *boxesAPI) put(path string, body any) *apptest.Response {
	return a.app.PutJSON(path, body)
}

func (a *boxesAPI) patch(path string, body any) *apptest.Response {
	return a.app.PatchJSON(path, body)
}

func (a *boxesAPI) delete(path string) *apptest.Response {
	return a.app.Delete(path)
}

// list answers GET /api/v1/boxes?query and fails the test unless it is 200.
func (a *boxesAPI) list(t *testing.T, query string) []boxes.Box {
	t.Helper()
	r := a.get(boxesPath + "?" + query)
	a.wantStatus(t, r, http.StatusOK)
	var list []boxes.Box
	r.Data(t, &list)
	return list
}

func (a *boxesAPI) wantStatus(t *testing.T, r *apptest.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
}

// wantError checks an error answer: its status, code and field ("" for none).
func (a *boxesAPI) wantError(t *testing.T, r *apptest.Response, status int, code, field string) {
	t.Helper()
	if r.Status != status || r.ErrorCode() != code || r.ErrorField() != field {
		t.Fatalf("want %d %s on field %q, got %d: %s", status, code, field, r.Status, r.Body)
	}
}

// wantFields checks that the box of r holds want's fields, compared as JSON.
func (a *boxesAPI) wantFields(t *testing.T, r *apptest.Response, want map[string]any) {
	t.Helper()
	var got map[string]json.RawMessage
	r.Data(t, &got)
	for field, w := range want {
		if !a.sameJSON(t, got[field], w) {
			t.Errorf("%s = %s, want %v", field, got[field], w)
		}
	}
}

// values are two sets of valid values of every field, the first below the
// second in each field's order: what the tests create, change, filter and
// sort by.
func (a *boxesAPI) values(t *testing.T) [2]map[string]any {
	t.Helper()
	v := [2]map[string]any{{}, {}}
	set := func(field string, lo, hi any) { v[0][field], v[1][field] = lo, hi }
	set("label", "alpha", "bravo")
	set("note", "alpha", "bravo")
	set("size", int64(1), int64(2))
	set("ratio", 1.5, 2.5)
	set("weight", "1.50", "2.50")
	set("fragile", false, true)
	set("seen_at", "2030-01-01T00:00:00Z", "2030-06-01T12:30:00Z")
	set("shipped_on", "2030-01-01", "2030-06-01")
	set("code", "00000000-0000-4000-8000-000000000001", "ffffffff-ffff-4fff-bfff-ffffffffffff")
	set("meta", map[string]any{"a": 1.0}, []any{"b", 2.0})
	tagIDLo, tagIDHi := a.app.CreateTag(nil).ID, a.app.CreateTag(nil).ID
	if tagIDLo.String() > tagIDHi.String() {
		tagIDLo, tagIDHi = tagIDHi, tagIDLo
	}
	set("tag_id", tagIDLo, tagIDHi)
	return v
}

// sameJSON compares a JSON value with what want encodes to, as JSON values
// (so 1 equals 1.0, and object keys are unordered).
func (a *boxesAPI) sameJSON(t *testing.T, got json.RawMessage, want any) bool {
	t.Helper()
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var g, x any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal(w, &x) != nil {
		return false
	}
	return reflect.DeepEqual(g, x)
}

func (a *boxesAPI) ids(list []boxes.Box) []uuid.UUID {
	out := make([]uuid.UUID, len(list))
	for i, x := range list {
		out[i] = x.ID
	}
	return out
}

func TestBoxCreateAnswers201WithTheRow(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	body := a.body(a.values(t)[0])
	r := a.post(body)
	a.wantStatus(t, r, http.StatusCreated)
	a.wantFields(t, r, body)
	var got map[string]json.RawMessage
	r.Data(t, &got)
	want := strings.Split("id, label, note, size, ratio, weight, fragile, seen_at, shipped_on, code, meta, tag_id, created_at, updated_at", ", ")
	if len(got) != len(want) {
		t.Errorf("fields %v, want %v", slices.Sorted(maps.Keys(got)), want)
	}
	var box boxes.Box
	r.Data(t, &box)
	if box.ID == uuid.Nil || box.CreatedAt.IsZero() || !box.UpdatedAt.Equal(box.CreatedAt) {
		t.Errorf("new box: %+v", box)
	}
	if env := r.Envelope(t); env.Message == nil || *env.Message != "Box created" {
		t.Errorf("message %v", env.Message)
	}
}

// The service sets id, created_at, updated_at; a body's are ignored.
func TestBoxCreateIgnoresTheImplicitFields(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	given := uuid.New()
	r := a.post(a.body(map[string]any{"id": given, "created_at": "2001-01-01T00:00:00Z"}))
	a.wantStatus(t, r, http.StatusCreated)
	var box boxes.Box
	r.Data(t, &box)
	if box.ID == given || box.CreatedAt.Year() == 2001 {
		t.Errorf("the body's implicit fields were kept: %+v", box)
	}
}

// A required field missing or null is 422 naming it, on POST, PUT and PATCH.
func TestBoxRequiredFields(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	existing := a.create(t, nil)
	for _, field := range []string{"label", "size"} {
		t.Run(field, func(t *testing.T) {
			missing := a.body(map[string]any{field: nil})
			null := a.body(nil)
			null[field] = nil
			a.wantError(t, a.bad().post(missing), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", field)
			a.wantError(t, a.bad().post(null), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", field)
			a.wantError(t, a.bad().put(boxPath(existing.ID), missing), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", field)
			a.wantError(t, a.bad().patch(boxPath(existing.ID), map[string]any{field: nil}), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", field)
		})
	}
}

func TestBoxGet(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	values := a.values(t)[0]
	box := a.create(t, values)
	r := a.get(boxPath(box.ID))
	a.wantStatus(t, r, http.StatusOK)
	a.wantFields(t, r, values)
	var got boxes.Box
	r.Data(t, &got)
	if got.ID != box.ID || !got.CreatedAt.Equal(box.CreatedAt) {
		t.Errorf("got %+v, want %+v", got, box)
	}
}

// An id of no box is 404 on every route of one box.
func TestBoxNotFound(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	a.create(t, nil)
	unknown := uuid.New()
	a.wantError(t, a.get(boxPath(unknown)), http.StatusNotFound, "NOT_FOUND", "")
	a.wantError(t, a.put(boxPath(unknown), a.body(nil)), http.StatusNotFound, "NOT_FOUND", "")
	a.wantError(t, a.patch(boxPath(unknown), map[string]any{}), http.StatusNotFound, "NOT_FOUND", "")
	a.wantError(t, a.delete(boxPath(unknown)), http.StatusNotFound, "NOT_FOUND", "")
}

// An id that is not a UUID is 400 INVALID_QUERY on every route of one box.
func TestBoxBadIDs(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	for _, id := range []string{"42", "not-a-uuid", "{" + uuid.NewString() + "}"} {
		path := boxesPath + "/" + url.PathEscape(id)
		for _, r := range []*apptest.Response{
			a.bad().get(path),
			a.bad().put(path, map[string]any{}),
			a.bad().patch(path, map[string]any{}),
			a.bad().delete(path),
		} {
			a.wantError(t, r, http.StatusBadRequest, "INVALID_QUERY", "id")
		}
	}
}

func TestBoxesListNewestFirst(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	var want []uuid.UUID
	for range 3 {
		want = slices.Insert(want, 0, a.create(t, nil).ID)
	}
	if got := a.ids(a.list(t, "")); !slices.Equal(got, want) {
		t.Errorf("default order %v, want newest first %v", got, want)
	}
}

func TestBoxesListPages(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	var all []uuid.UUID
	for range 5 {
		all = slices.Insert(all, 0, a.create(t, nil).ID)
	}
	for _, tc := range []struct {
		query string
		want  []uuid.UUID
	}{
		{"limit=2", all[:2]},
		{"limit=2&offset=2", all[2:4]},
		{"limit=2&offset=4", all[4:]},
		{"offset=5", []uuid.UUID{}},
		{"limit=100", all},
	} {
		if got := a.ids(a.list(t, tc.query)); !slices.Equal(got, tc.want) {
			t.Errorf("?%s: %v, want %v", tc.query, got, tc.want)
		}
	}
}

// ?sort=field orders by a field, ?sort=-field the other way.
func TestBoxesListSorts(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	values := a.values(t)
	first, second := a.create(t, values[0]), a.create(t, values[1])
	for _, field := range []string{"created_at", "label", "note", "size", "ratio", "weight", "fragile", "seen_at", "shipped_on", "code", "tag_id"} {
		up := a.ids(a.list(t, "limit=100&sort="+field))
		down := a.ids(a.list(t, "limit=100&sort=-"+field))
		if slices.Index(up, first.ID) > slices.Index(up, second.ID) {
			t.Errorf("sort=%s: %v has %s after %s", field, up, first.ID, second.ID)
		}
		if slices.Index(down, first.ID) < slices.Index(down, second.ID) {
			t.Errorf("sort=-%s: %v has %s before %s", field, down, first.ID, second.ID)
		}
	}
}

// What the list cannot use is 400 INVALID_QUERY naming the parameter.
func TestBoxesListRejectsBadQueries(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	for query, param := range map[string]string{
		"limit=0": "limit", "limit=101": "limit", "limit=x": "limit", "offset=-1": "offset",
		"sort=nope": "sort", "sort=-nope": "sort", "sort=id": "sort",
		"size=x":                "size",
		"ratio=x":               "ratio",
		"weight=1,5":            "weight",
		"seen_at=yesterday":     "seen_at",
		"shipped_on=2030-02-30": "shipped_on",
		"code=nope":             "code",
		"tag_id=nope":           "tag_id",
	} {
		a.wantError(t, a.bad().get(boxesPath+"?"+query), http.StatusBadRequest, "INVALID_QUERY", param)
	}
}

// ?field=value keeps the boxes whose field is value, for each field with
// an index.
func TestBoxesListFilters(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	values := a.values(t)
	match, other := a.create(t, values[0]), a.create(t, values[1])
	for _, field := range []string{"label", "size", "ratio", "weight", "seen_at", "shipped_on", "code", "tag_id"} {
		t.Run(field, func(t *testing.T) {
			q := url.Values{field: {a.jsonText(t, values[0][field])}}
			got := a.ids(a.list(t, q.Encode()))
			if !slices.Contains(got, match.ID) || slices.Contains(got, other.ID) {
				t.Errorf("?%s: %v, want %s and not %s", q.Encode(), got, match.ID, other.ID)
			}
		})
	}
}

// jsonText is a value as its JSON text, without the quotes of a string:
// the form a query parameter gives it.
func (a *boxesAPI) jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	return string(b)
}

// PUT gives every field: a field it leaves out becomes null.
func TestBoxReplace(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	values := a.values(t)
	box := a.create(t, values[0])
	body := map[string]any{}
	for field, v := range values[1] {
		body[field] = v
	}
	delete(body, "note")
	r := a.put(boxPath(box.ID), body)
	a.wantStatus(t, r, http.StatusOK)
	want := map[string]any{}
	for field := range values[1] {
		want[field] = body[field] // nil for a field left out
	}
	a.wantFields(t, r, want)
	var got boxes.Box
	r.Data(t, &got)
	if got.ID != box.ID || !got.CreatedAt.Equal(box.CreatedAt) || got.UpdatedAt.Before(box.UpdatedAt) {
		t.Errorf("replaced %+v, was %+v", got, box)
	}
	if env := r.Envelope(t); env.Message == nil || *env.Message != "Box updated" {
		t.Errorf("message %v", env.Message)
	}
}

// PATCH changes the fields it gives and keeps the others; null clears a field.
func TestBoxPatch(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	values := a.values(t)
	box := a.create(t, values[0])
	for field, v := range values[1] {
		r := a.patch(boxPath(box.ID), map[string]any{field: v})
		a.wantStatus(t, r, http.StatusOK)
		a.wantFields(t, r, map[string]any{field: v})
	}
	r := a.get(boxPath(box.ID))
	a.wantFields(t, r, values[1])
	a.wantFields(t, a.patch(boxPath(box.ID), map[string]any{"note": nil}), map[string]any{"note": nil})
	a.wantFields(t, a.patch(boxPath(box.ID), map[string]any{"ratio": nil}), map[string]any{"ratio": nil})
	a.wantFields(t, a.patch(boxPath(box.ID), map[string]any{"weight": nil}), map[string]any{"weight": nil})
	a.wantFields(t, a.patch(boxPath(box.ID), map[string]any{"fragile": nil}), map[string]any{"fragile": nil})
	a.wantFields(t, a.patch(boxPath(box.ID), map[string]any{"seen_at": nil}), map[string]any{"seen_at": nil})
	a.wantFields(t, a.patch(boxPath(box.ID), map[string]any{"shipped_on": nil}), map[string]any{"shipped_on": nil})
	a.wantFields(t, a.patch(boxPath(box.ID), map[string]any{"code": nil}), map[string]any{"code": nil})
	a.wantFields(t, a.patch(boxPath(box.ID), map[string]any{"meta": nil}), map[string]any{"meta": nil})
	a.wantFields(t, a.patch(boxPath(box.ID), map[string]any{"tag_id": nil}), map[string]any{"tag_id": nil})
}

// A PATCH with no field changes nothing, updated_at included.
func TestBoxPatchNothing(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	box := a.create(t, nil)
	r := a.patch(boxPath(box.ID), map[string]any{})
	a.wantStatus(t, r, http.StatusOK)
	var got boxes.Box
	r.Data(t, &got)
	if !got.UpdatedAt.Equal(box.UpdatedAt) {
		t.Errorf("updated_at %s, was %s", got.UpdatedAt, box.UpdatedAt)
	}
}

func TestBoxDelete(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	box := a.create(t, nil)
	r := a.delete(boxPath(box.ID))
	a.wantStatus(t, r, http.StatusOK)
	if env := r.Envelope(t); string(env.Data) != "null" || env.Message == nil || *env.Message != "Box deleted" {
		t.Errorf("answer %s", r.Body)
	}
	a.wantError(t, a.get(boxPath(box.ID)), http.StatusNotFound, "NOT_FOUND", "")
	a.wantError(t, a.delete(boxPath(box.ID)), http.StatusNotFound, "NOT_FOUND", "")
}

// A string field refuses what is not a string: a value of the wrong JSON type
// is 422, one that breaks the field's rule 400, each naming the field.
func TestBoxStringFields(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	for _, field := range []string{"label"} {
		for _, tc := range []struct {
			value  any
			status int
			code   string
		}{
			{strings.Repeat("é", 256), 400, "VALIDATION_FAILED"},
			{42, 422, "UNPROCESSABLE_ENTITY"},
		} {
			a.wantError(t, a.bad().post(a.body(map[string]any{field: tc.value})), tc.status, tc.code, field)
		}
	}
}

// A text field refuses what is not a text: a value of the wrong JSON type
// is 422, one that breaks the field's rule 400, each naming the field.
func TestBoxTextFields(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	for _, field := range []string{"note"} {
		for _, tc := range []struct {
			value  any
			status int
			code   string
		}{
			{42, 422, "UNPROCESSABLE_ENTITY"},
			{[]string{"a"}, 422, "UNPROCESSABLE_ENTITY"},
		} {
			a.wantError(t, a.bad().post(a.body(map[string]any{field: tc.value})), tc.status, tc.code, field)
		}
	}
}

// A int field refuses what is not a int: a value of the wrong JSON type
// is 422, one that breaks the field's rule 400, each naming the field.
func TestBoxIntFields(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	for _, field := range []string{"size"} {
		for _, tc := range []struct {
			value  any
			status int
			code   string
		}{
			{"12", 422, "UNPROCESSABLE_ENTITY"},
			{1.5, 422, "UNPROCESSABLE_ENTITY"},
		} {
			a.wantError(t, a.bad().post(a.body(map[string]any{field: tc.value})), tc.status, tc.code, field)
		}
	}
}

// A float field refuses what is not a float: a value of the wrong JSON type
// is 422, one that breaks the field's rule 400, each naming the field.
func TestBoxFloatFields(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	for _, field := range []string{"ratio"} {
		for _, tc := range []struct {
			value  any
			status int
			code   string
		}{
			{"1.5", 422, "UNPROCESSABLE_ENTITY"},
			{true, 422, "UNPROCESSABLE_ENTITY"},
		} {
			a.wantError(t, a.bad().post(a.body(map[string]any{field: tc.value})), tc.status, tc.code, field)
		}
	}
}

// A decimal field refuses what is not a decimal: a value of the wrong JSON type
// is 422, one that breaks the field's rule 400, each naming the field.
func TestBoxDecimalFields(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	for _, field := range []string{"weight"} {
		for _, tc := range []struct {
			value  any
			status int
			code   string
		}{
			{"12,50", 400, "VALIDATION_FAILED"},
			{"1e5", 400, "VALIDATION_FAILED"},
			{12.5, 422, "UNPROCESSABLE_ENTITY"},
		} {
			a.wantError(t, a.bad().post(a.body(map[string]any{field: tc.value})), tc.status, tc.code, field)
		}
	}
}

// A bool field refuses what is not a bool: a value of the wrong JSON type
// is 422, one that breaks the field's rule 400, each naming the field.
func TestBoxBoolFields(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	for _, field := range []string{"fragile"} {
		for _, tc := range []struct {
			value  any
			status int
			code   string
		}{
			{"true", 422, "UNPROCESSABLE_ENTITY"},
			{1, 422, "UNPROCESSABLE_ENTITY"},
		} {
			a.wantError(t, a.bad().post(a.body(map[string]any{field: tc.value})), tc.status, tc.code, field)
		}
	}
}

// A time field refuses what is not a time: a value of the wrong JSON type
// is 422, one that breaks the field's rule 400, each naming the field.
func TestBoxTimeFields(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	for _, field := range []string{"seen_at"} {
		for _, tc := range []struct {
			value  any
			status int
			code   string
		}{
			{"2030-01-02", 400, "VALIDATION_FAILED"},
			{"yesterday", 400, "VALIDATION_FAILED"},
			{42, 422, "UNPROCESSABLE_ENTITY"},
		} {
			a.wantError(t, a.bad().post(a.body(map[string]any{field: tc.value})), tc.status, tc.code, field)
		}
	}
}

// A date field refuses what is not a date: a value of the wrong JSON type
// is 422, one that breaks the field's rule 400, each naming the field.
func TestBoxDateFields(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	for _, field := range []string{"shipped_on"} {
		for _, tc := range []struct {
			value  any
			status int
			code   string
		}{
			{"2030-02-30", 400, "VALIDATION_FAILED"},
			{"2030-01-02T00:00:00Z", 400, "VALIDATION_FAILED"},
			{20300102, 422, "UNPROCESSABLE_ENTITY"},
		} {
			a.wantError(t, a.bad().post(a.body(map[string]any{field: tc.value})), tc.status, tc.code, field)
		}
	}
}

// A uuid field refuses what is not a uuid: a value of the wrong JSON type
// is 422, one that breaks the field's rule 400, each naming the field.
func TestBoxUUIDFields(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	for _, field := range []string{"code"} {
		for _, tc := range []struct {
			value  any
			status int
			code   string
		}{
			{"not-a-uuid", 400, "VALIDATION_FAILED"},
			{"{" + uuid.NewString() + "}", 400, "VALIDATION_FAILED"},
			{42, 422, "UNPROCESSABLE_ENTITY"},
		} {
			a.wantError(t, a.bad().post(a.body(map[string]any{field: tc.value})), tc.status, tc.code, field)
		}
	}
}

// A json field holds any JSON value, kept as it was given.
func TestBoxJSONFields(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	for _, field := range []string{"meta"} {
		for _, v := range []any{map[string]any{"a": []any{1.5, "b", nil}}, []any{1, 2}, "text", 42.0, true} {
			r := a.post(a.body(map[string]any{field: v}))
			a.wantStatus(t, r, http.StatusCreated)
			a.wantFields(t, r, map[string]any{field: v})
		}
	}
}

// A ref field refuses what is not a ref: a value of the wrong JSON type
// is 422, one that breaks the field's rule 400, each naming the field.
func TestBoxRefFields(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	for _, field := range []string{"tag_id"} {
		for _, tc := range []struct {
			value  any
			status int
			code   string
		}{
			{uuid.NewString(), 400, "VALIDATION_FAILED"},
			{"nope", 400, "VALIDATION_FAILED"},
			{42, 422, "UNPROCESSABLE_ENTITY"},
		} {
			a.wantError(t, a.bad().post(a.body(map[string]any{field: tc.value})), tc.status, tc.code, field)
		}
	}
}

// A unique field refuses a value another box has: 409 naming the field,
// on create and on change.
func TestBoxUniqueFields(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	values := a.values(t)
	taken, other := a.create(t, values[0]), a.create(t, values[1])
	for _, field := range []string{"label", "weight", "shipped_on", "code"} {
		dup := map[string]any{field: values[0][field]}
		a.wantError(t, a.post(a.body(dup)), http.StatusConflict, "CONFLICT", field)
		a.wantError(t, a.patch(boxPath(other.ID), dup), http.StatusConflict, "CONFLICT", field)
	}
	a.wantStatus(t, a.patch(boxPath(taken.ID), values[0]), http.StatusOK) // its own values are no clash
}

// A ref must point to an existing row (else 400 naming the
// field), and keeps that row from being deleted (409).
func TestBoxRefs(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	a.wantError(t, a.post(a.body(map[string]any{"tag_id": uuid.New()})), http.StatusBadRequest, "VALIDATION_FAILED", "tag_id")
	{
		target := a.app.CreateTag(nil)
		a.create(t, map[string]any{"tag_id": target.ID})
		r := a.app.Delete("/api/v1/tags/" + target.ID.String())
		a.wantError(t, r, http.StatusConflict, "CONFLICT", "")
	}
}

// Without auth in the service, anyone reads and writes boxes.
func TestBoxesNeedNoSession(t *testing.T) {
	t.Parallel()
	a := setupBoxes(t)
	box := a.create(t, nil)
	for _, r := range []*apptest.Response{
		a.app.Get(boxesPath),
		a.app.Get(boxPath(box.ID)),
		a.app.PatchJSON(boxPath(box.ID), map[string]any{}),
		a.app.Delete(boxPath(box.ID)),
	} {
		a.wantStatus(t, r, http.StatusOK)
	}
}
