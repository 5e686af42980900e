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
	"example.com/demo/internal/auth"
	"example.com/demo/internal/categories"
)

// categoriesAPI is a service for the tests of the categories resource.
type categoriesAPI struct {
	app             *apptest.TestApp
	user, moderator apptest.AuthUser
	// writer is the token of the caller that writes categories in these tests
	// (a moderator).
	writer string
}

func setupCategories(t *testing.T) *categoriesAPI {
	t.Helper()
	a := &categoriesAPI{app: apptest.New(t)}
	a.user, a.moderator = a.app.CreateAuthUser(auth.RoleUser), a.app.CreateAuthUser(auth.RoleModerator)
	a.writer = a.moderator.Token
	return a
}

const categoriesPath = "/api/v1/categories"

func categoryPath(id uuid.UUID) string { return categoriesPath + "/" + id.String() }

// bad is the suite with a client whose requests break the API's document on
// purpose (apptest's Invalid); the answers are still checked.
func (a *categoriesAPI) bad() *categoriesAPI {
	b := *a
	b.app = a.app.Invalid()
	return &b
}

func (a *categoriesAPI) create(t *testing.T, overrides map[string]any) categories.Category {
	t.Helper()
	return a.app.CreateCategory(a.writer, overrides)
}

func (a *categoriesAPI) body(overrides map[string]any) map[string]any {
	return a.app.CategoryBody(a.writer, overrides)
}

func (a *categoriesAPI) post(body any) *apptest.Response {
	return a.app.PostJSONAuth(categoriesPath, a.writer, body)
}

func (a *categoriesAPI) get(path string) *apptest.Response {
	return a.app.Get(path)
}

func (a *categoriesAPI) put(path string, body any) *apptest.Response {
	return a.app.PutJSONAuth(path, a.writer, body)
}

func (a *categoriesAPI) patch(path string, body any) *apptest.Response {
	return a.app.PatchJSONAuth(path, a.writer, body)
}

func (a *categoriesAPI) delete(path string) *apptest.Response {
	return a.app.DeleteAuth(path, a.writer)
}

// list answers GET /api/v1/categories?query and fails the test unless it is 200.
func (a *categoriesAPI) list(t *testing.T, query string) []categories.Category {
	t.Helper()
	r := a.get(categoriesPath + "?" + query)
	a.wantStatus(t, r, http.StatusOK)
	var list []categories.Category
	r.Data(t, &list)
	return list
}

func (a *categoriesAPI) wantStatus(t *testing.T, r *apptest.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
}

// wantError checks an error answer: its status, code and field ("" for none).
func (a *categoriesAPI) wantError(t *testing.T, r *apptest.Response, status int, code, field string) {
	t.Helper()
	if r.Status != status || r.ErrorCode() != code || r.ErrorField() != field {
		t.Fatalf("want %d %s on field %q, got %d: %s", status, code, field, r.Status, r.Body)
	}
}

// wantFields checks that the category of r holds want's fields, compared as JSON.
func (a *categoriesAPI) wantFields(t *testing.T, r *apptest.Response, want map[string]any) {
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
func (a *categoriesAPI) values(t *testing.T) [2]map[string]any {
	t.Helper()
	v := [2]map[string]any{{}, {}}
	set := func(field string, lo, hi any) { v[0][field], v[1][field] = lo, hi }
	set("name", "alpha", "bravo")
	set("about", "alpha", "bravo")
	return v
}

// sameJSON compares a JSON value with what want encodes to, as JSON values
// (so 1 equals 1.0, and object keys are unordered).
func (a *categoriesAPI) sameJSON(t *testing.T, got json.RawMessage, want any) bool {
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

func (a *categoriesAPI) ids(list []categories.Category) []uuid.UUID {
	out := make([]uuid.UUID, len(list))
	for i, x := range list {
		out[i] = x.ID
	}
	return out
}

func TestCategoryCreateAnswers201WithTheRow(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	body := a.body(a.values(t)[0])
	r := a.post(body)
	a.wantStatus(t, r, http.StatusCreated)
	a.wantFields(t, r, body)
	var got map[string]json.RawMessage
	r.Data(t, &got)
	want := strings.Split("id, name, about, created_at, updated_at", ", ")
	if len(got) != len(want) {
		t.Errorf("fields %v, want %v", slices.Sorted(maps.Keys(got)), want)
	}
	var category categories.Category
	r.Data(t, &category)
	if category.ID == uuid.Nil || category.CreatedAt.IsZero() || !category.UpdatedAt.Equal(category.CreatedAt) {
		t.Errorf("new category: %+v", category)
	}
	if env := r.Envelope(t); env.Message == nil || *env.Message != "Category created" {
		t.Errorf("message %v", env.Message)
	}
}

// The service sets id, created_at, updated_at; a body's are ignored.
func TestCategoryCreateIgnoresTheImplicitFields(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	given := uuid.New()
	r := a.post(a.body(map[string]any{"id": given, "created_at": "2001-01-01T00:00:00Z"}))
	a.wantStatus(t, r, http.StatusCreated)
	var category categories.Category
	r.Data(t, &category)
	if category.ID == given || category.CreatedAt.Year() == 2001 {
		t.Errorf("the body's implicit fields were kept: %+v", category)
	}
}

// A required field missing or null is 422 naming it, on POST, PUT and PATCH.
func TestCategoryRequiredFields(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	existing := a.create(t, nil)
	for _, field := range []string{"name"} {
		t.Run(field, func(t *testing.T) {
			missing := a.body(map[string]any{field: nil})
			null := a.body(nil)
			null[field] = nil
			a.wantError(t, a.bad().post(missing), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", field)
			a.wantError(t, a.bad().post(null), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", field)
			a.wantError(t, a.bad().put(categoryPath(existing.ID), missing), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", field)
			a.wantError(t, a.bad().patch(categoryPath(existing.ID), map[string]any{field: nil}), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", field)
		})
	}
}

func TestCategoryGet(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	values := a.values(t)[0]
	category := a.create(t, values)
	r := a.get(categoryPath(category.ID))
	a.wantStatus(t, r, http.StatusOK)
	a.wantFields(t, r, values)
	var got categories.Category
	r.Data(t, &got)
	if got.ID != category.ID || !got.CreatedAt.Equal(category.CreatedAt) {
		t.Errorf("got %+v, want %+v", got, category)
	}
}

// An id of no category is 404 on every route of one category.
func TestCategoryNotFound(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	a.create(t, nil)
	unknown := uuid.New()
	a.wantError(t, a.get(categoryPath(unknown)), http.StatusNotFound, "NOT_FOUND", "")
	a.wantError(t, a.put(categoryPath(unknown), a.body(nil)), http.StatusNotFound, "NOT_FOUND", "")
	a.wantError(t, a.patch(categoryPath(unknown), map[string]any{}), http.StatusNotFound, "NOT_FOUND", "")
	a.wantError(t, a.delete(categoryPath(unknown)), http.StatusNotFound, "NOT_FOUND", "")
}

// An id that is not a UUID is 400 INVALID_QUERY on every route of one category.
func TestCategoryBadIDs(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	for _, id := range []string{"42", "not-a-uuid", "{" + uuid.NewString() + "}"} {
		path := categoriesPath + "/" + url.PathEscape(id)
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

func TestCategoriesListNewestFirst(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	var want []uuid.UUID
	for range 3 {
		want = slices.Insert(want, 0, a.create(t, nil).ID)
	}
	if got := a.ids(a.list(t, "")); !slices.Equal(got, want) {
		t.Errorf("default order %v, want newest first %v", got, want)
	}
}

func TestCategoriesListPages(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
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
func TestCategoriesListSorts(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	values := a.values(t)
	first, second := a.create(t, values[0]), a.create(t, values[1])
	for _, field := range []string{"created_at", "name", "about"} {
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
func TestCategoriesListRejectsBadQueries(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	for query, param := range map[string]string{
		"limit=0": "limit", "limit=101": "limit", "limit=x": "limit", "offset=-1": "offset",
		"sort=nope": "sort", "sort=-nope": "sort", "sort=id": "sort",
	} {
		a.wantError(t, a.bad().get(categoriesPath+"?"+query), http.StatusBadRequest, "INVALID_QUERY", param)
	}
}

// ?field=value keeps the categories whose field is value, for each field with
// an index.
func TestCategoriesListFilters(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	values := a.values(t)
	match, other := a.create(t, values[0]), a.create(t, values[1])
	for _, field := range []string{"name"} {
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
func (a *categoriesAPI) jsonText(t *testing.T, v any) string {
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
func TestCategoryReplace(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	values := a.values(t)
	category := a.create(t, values[0])
	body := map[string]any{}
	for field, v := range values[1] {
		body[field] = v
	}
	delete(body, "about")
	r := a.put(categoryPath(category.ID), body)
	a.wantStatus(t, r, http.StatusOK)
	want := map[string]any{}
	for field := range values[1] {
		want[field] = body[field] // nil for a field left out
	}
	a.wantFields(t, r, want)
	var got categories.Category
	r.Data(t, &got)
	if got.ID != category.ID || !got.CreatedAt.Equal(category.CreatedAt) || got.UpdatedAt.Before(category.UpdatedAt) {
		t.Errorf("replaced %+v, was %+v", got, category)
	}
	if env := r.Envelope(t); env.Message == nil || *env.Message != "Category updated" {
		t.Errorf("message %v", env.Message)
	}
}

// PATCH changes the fields it gives and keeps the others; null clears a field.
func TestCategoryPatch(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	values := a.values(t)
	category := a.create(t, values[0])
	for field, v := range values[1] {
		r := a.patch(categoryPath(category.ID), map[string]any{field: v})
		a.wantStatus(t, r, http.StatusOK)
		a.wantFields(t, r, map[string]any{field: v})
	}
	r := a.get(categoryPath(category.ID))
	a.wantFields(t, r, values[1])
	a.wantFields(t, a.patch(categoryPath(category.ID), map[string]any{"about": nil}), map[string]any{"about": nil})
}

// A PATCH with no field changes nothing, updated_at included.
func TestCategoryPatchNothing(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	category := a.create(t, nil)
	r := a.patch(categoryPath(category.ID), map[string]any{})
	a.wantStatus(t, r, http.StatusOK)
	var got categories.Category
	r.Data(t, &got)
	if !got.UpdatedAt.Equal(category.UpdatedAt) {
		t.Errorf("updated_at %s, was %s", got.UpdatedAt, category.UpdatedAt)
	}
}

func TestCategoryDelete(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	category := a.create(t, nil)
	r := a.delete(categoryPath(category.ID))
	a.wantStatus(t, r, http.StatusOK)
	if env := r.Envelope(t); string(env.Data) != "null" || env.Message == nil || *env.Message != "Category deleted" {
		t.Errorf("answer %s", r.Body)
	}
	a.wantError(t, a.get(categoryPath(category.ID)), http.StatusNotFound, "NOT_FOUND", "")
	a.wantError(t, a.delete(categoryPath(category.ID)), http.StatusNotFound, "NOT_FOUND", "")
}

// A string field refuses what is not a string: a value of the wrong JSON type
// is 422, one that breaks the field's rule 400, each naming the field.
func TestCategoryStringFields(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	for _, field := range []string{"name"} {
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
func TestCategoryTextFields(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	for _, field := range []string{"about"} {
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

// A unique field refuses a value another category has: 409 naming the field,
// on create and on change.
func TestCategoryUniqueFields(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	values := a.values(t)
	taken, other := a.create(t, values[0]), a.create(t, values[1])
	for _, field := range []string{"name"} {
		dup := map[string]any{field: values[0][field]}
		a.wantError(t, a.post(a.body(dup)), http.StatusConflict, "CONFLICT", field)
		a.wantError(t, a.patch(categoryPath(other.ID), dup), http.StatusConflict, "CONFLICT", field)
	}
	a.wantStatus(t, a.patch(categoryPath(taken.ID), values[0]), http.StatusOK) // its own values are no clash
}

// Anyone reads categories, without a session.
func TestCategoriesAreReadByAnyone(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	category := a.create(t, nil)
	a.wantStatus(t, a.app.Get(categoryPath(category.ID)), http.StatusOK)
	var list []categories.Category
	a.app.Get(categoriesPath).Data(t, &list)
	if !slices.Contains(a.ids(list), category.ID) {
		t.Errorf("the list lacks %s", category.ID)
	}
}

// Writes need a session (401) of a moderator or an admin (403 for a user).
func TestCategoriesAreWrittenByModerators(t *testing.T) {
	t.Parallel()
	a := setupCategories(t)
	id := a.create(t, nil).ID
	for token, status := range map[string]int{"": http.StatusUnauthorized, a.user.Token: http.StatusForbidden} {
		for _, r := range []*apptest.Response{
			a.app.PostJSONAuth(categoriesPath, token, a.body(nil)),
			a.app.PutJSONAuth(categoryPath(id), token, a.body(nil)),
			a.app.PatchJSONAuth(categoryPath(id), token, map[string]any{}),
			a.app.DeleteAuth(categoryPath(id), token),
		} {
			a.wantStatus(t, r, status)
		}
	}
	admin := a.app.CreateAuthUser(auth.RoleAdmin)
	a.wantStatus(t, a.app.PatchJSONAuth(categoryPath(id), admin.Token, map[string]any{}), http.StatusOK)
	a.wantStatus(t, a.app.DeleteAuth(categoryPath(id), admin.Token), http.StatusOK)
}
