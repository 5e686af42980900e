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
	"example.com/demo/internal/products"
)

// productsAPI is a service for the tests of the products resource.
type productsAPI struct {
	app             *apptest.TestApp
	user, moderator apptest.AuthUser
	// writer is the token of the caller that writes products in these tests
	// (their owner).
	writer string
}

func setupProducts(t *testing.T) *productsAPI {
	t.Helper()
	a := &productsAPI{app: apptest.New(t)}
	a.user, a.moderator = a.app.CreateAuthUser(auth.RoleUser), a.app.CreateAuthUser(auth.RoleModerator)
	a.writer = a.user.Token
	return a
}

const productsPath = "/api/v1/products"

func productPath(id uuid.UUID) string { return productsPath + "/" + id.String() }

// bad is the suite with a client whose requests break the API's document on
// purpose (apptest's Invalid); the answers are still checked.
func (a *productsAPI) bad() *productsAPI {
	b := *a
	b.app = a.app.Invalid()
	return &b
}

func (a *productsAPI) create(t *testing.T, overrides map[string]any) products.Product {
	t.Helper()
	return a.app.CreateProduct(a.writer, overrides)
}

func (a *productsAPI) body(overrides map[string]any) map[string]any {
	return a.app.ProductBody(a.writer, overrides)
}

func (a *productsAPI) post(body any) *apptest.Response {
	return a.app.PostJSONAuth(productsPath, a.writer, body)
}

func (a *productsAPI) get(path string) *apptest.Response {
	return a.app.GetAuth(path, a.writer)
}

func (a *productsAPI) put(path string, body any) *apptest.Response {
	return a.app.PutJSONAuth(path, a.writer, body)
}

func (a *productsAPI) patch(path string, body any) *apptest.Response {
	return a.app.PatchJSONAuth(path, a.writer, body)
}

func (a *productsAPI) delete(path string) *apptest.Response {
	return a.app.DeleteAuth(path, a.writer)
}

// list answers GET /api/v1/products?query and fails the test unless it is 200.
func (a *productsAPI) list(t *testing.T, query string) []products.Product {
	t.Helper()
	r := a.get(productsPath + "?" + query)
	a.wantStatus(t, r, http.StatusOK)
	var list []products.Product
	r.Data(t, &list)
	return list
}

func (a *productsAPI) wantStatus(t *testing.T, r *apptest.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
}

// wantError checks an error answer: its status, code and field ("" for none).
func (a *productsAPI) wantError(t *testing.T, r *apptest.Response, status int, code, field string) {
	t.Helper()
	if r.Status != status || r.ErrorCode() != code || r.ErrorField() != field {
		t.Fatalf("want %d %s on field %q, got %d: %s", status, code, field, r.Status, r.Body)
	}
}

// wantFields checks that the product of r holds want's fields, compared as JSON.
func (a *productsAPI) wantFields(t *testing.T, r *apptest.Response, want map[string]any) {
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
func (a *productsAPI) values(t *testing.T) [2]map[string]any {
	t.Helper()
	v := [2]map[string]any{{}, {}}
	set := func(field string, lo, hi any) { v[0][field], v[1][field] = lo, hi }
	set("title", "alpha", "bravo")
	set("price", "1.50", "2.50")
	set("in_stock", false, true)
	categoryIDLo, categoryIDHi := a.app.CreateCategory(a.moderator.Token, nil).ID, a.app.CreateCategory(a.moderator.Token, nil).ID
	if categoryIDLo.String() > categoryIDHi.String() {
		categoryIDLo, categoryIDHi = categoryIDHi, categoryIDLo
	}
	set("category_id", categoryIDLo, categoryIDHi)
	return v
}

// sameJSON compares a JSON value with what want encodes to, as JSON values
// (so 1 equals 1.0, and object keys are unordered).
func (a *productsAPI) sameJSON(t *testing.T, got json.RawMessage, want any) bool {
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

func (a *productsAPI) ids(list []products.Product) []uuid.UUID {
	out := make([]uuid.UUID, len(list))
	for i, x := range list {
		out[i] = x.ID
	}
	return out
}

func TestProductCreateAnswers201WithTheRow(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	body := a.body(a.values(t)[0])
	r := a.post(body)
	a.wantStatus(t, r, http.StatusCreated)
	a.wantFields(t, r, body)
	var got map[string]json.RawMessage
	r.Data(t, &got)
	want := strings.Split("id, title, price, in_stock, category_id, created_by, created_at, updated_at", ", ")
	if len(got) != len(want) {
		t.Errorf("fields %v, want %v", slices.Sorted(maps.Keys(got)), want)
	}
	var product products.Product
	r.Data(t, &product)
	if product.ID == uuid.Nil || product.CreatedAt.IsZero() || !product.UpdatedAt.Equal(product.CreatedAt) {
		t.Errorf("new product: %+v", product)
	}
	if product.CreatedBy == nil || *product.CreatedBy != a.user.ID {
		t.Errorf("created_by = %v, want the caller %s", product.CreatedBy, a.user.ID)
	}
	if env := r.Envelope(t); env.Message == nil || *env.Message != "Product created" {
		t.Errorf("message %v", env.Message)
	}
}

// The service sets id, created_at, updated_at and created_by; a body's are ignored.
func TestProductCreateIgnoresTheImplicitFields(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	given := uuid.New()
	r := a.post(a.body(map[string]any{"id": given, "created_at": "2001-01-01T00:00:00Z", "created_by": uuid.New()}))
	a.wantStatus(t, r, http.StatusCreated)
	var product products.Product
	r.Data(t, &product)
	if product.ID == given || product.CreatedAt.Year() == 2001 || *product.CreatedBy != a.user.ID {
		t.Errorf("the body's implicit fields were kept: %+v", product)
	}
}

// A required field missing or null is 422 naming it, on POST, PUT and PATCH.
func TestProductRequiredFields(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	existing := a.create(t, nil)
	for _, field := range []string{"title", "price", "category_id"} {
		t.Run(field, func(t *testing.T) {
			missing := a.body(map[string]any{field: nil})
			null := a.body(nil)
			null[field] = nil
			a.wantError(t, a.bad().post(missing), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", field)
			a.wantError(t, a.bad().post(null), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", field)
			a.wantError(t, a.bad().put(productPath(existing.ID), missing), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", field)
			a.wantError(t, a.bad().patch(productPath(existing.ID), map[string]any{field: nil}), http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", field)
		})
	}
}

func TestProductGet(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	values := a.values(t)[0]
	product := a.create(t, values)
	r := a.get(productPath(product.ID))
	a.wantStatus(t, r, http.StatusOK)
	a.wantFields(t, r, values)
	var got products.Product
	r.Data(t, &got)
	if got.ID != product.ID || !got.CreatedAt.Equal(product.CreatedAt) {
		t.Errorf("got %+v, want %+v", got, product)
	}
}

// An id of no product is 404 on every route of one product.
func TestProductNotFound(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	a.create(t, nil)
	unknown := uuid.New()
	a.wantError(t, a.get(productPath(unknown)), http.StatusNotFound, "NOT_FOUND", "")
	a.wantError(t, a.put(productPath(unknown), a.body(nil)), http.StatusNotFound, "NOT_FOUND", "")
	a.wantError(t, a.patch(productPath(unknown), map[string]any{}), http.StatusNotFound, "NOT_FOUND", "")
	a.wantError(t, a.delete(productPath(unknown)), http.StatusNotFound, "NOT_FOUND", "")
}

// An id that is not a UUID is 400 INVALID_QUERY on every route of one product.
func TestProductBadIDs(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	for _, id := range []string{"42", "not-a-uuid", "{" + uuid.NewString() + "}"} {
		path := productsPath + "/" + url.PathEscape(id)
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

func TestProductsListNewestFirst(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	var want []uuid.UUID
	for range 3 {
		want = slices.Insert(want, 0, a.create(t, nil).ID)
	}
	if got := a.ids(a.list(t, "")); !slices.Equal(got, want) {
		t.Errorf("default order %v, want newest first %v", got, want)
	}
}

func TestProductsListPages(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
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
func TestProductsListSorts(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	values := a.values(t)
	first, second := a.create(t, values[0]), a.create(t, values[1])
	for _, field := range []string{"created_at", "title", "price", "in_stock", "category_id"} {
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
func TestProductsListRejectsBadQueries(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	for query, param := range map[string]string{
		"limit=0": "limit", "limit=101": "limit", "limit=x": "limit", "offset=-1": "offset",
		"sort=nope": "sort", "sort=-nope": "sort", "sort=id": "sort",
		"in_stock=maybe":   "in_stock",
		"category_id=nope": "category_id",
	} {
		a.wantError(t, a.bad().get(productsPath+"?"+query), http.StatusBadRequest, "INVALID_QUERY", param)
	}
}

// ?field=value keeps the products whose field is value, for each field with
// an index.
func TestProductsListFilters(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	values := a.values(t)
	match, other := a.create(t, values[0]), a.create(t, values[1])
	for _, field := range []string{"in_stock", "category_id"} {
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
func (a *productsAPI) jsonText(t *testing.T, v any) string {
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
func TestProductReplace(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	values := a.values(t)
	product := a.create(t, values[0])
	body := map[string]any{}
	for field, v := range values[1] {
		body[field] = v
	}
	delete(body, "in_stock")
	r := a.put(productPath(product.ID), body)
	a.wantStatus(t, r, http.StatusOK)
	want := map[string]any{}
	for field := range values[1] {
		want[field] = body[field] // nil for a field left out
	}
	a.wantFields(t, r, want)
	var got products.Product
	r.Data(t, &got)
	if got.ID != product.ID || !got.CreatedAt.Equal(product.CreatedAt) || got.UpdatedAt.Before(product.UpdatedAt) {
		t.Errorf("replaced %+v, was %+v", got, product)
	}
	if env := r.Envelope(t); env.Message == nil || *env.Message != "Product updated" {
		t.Errorf("message %v", env.Message)
	}
}

// PATCH changes the fields it gives and keeps the others; null clears a field.
func TestProductPatch(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	values := a.values(t)
	product := a.create(t, values[0])
	for field, v := range values[1] {
		r := a.patch(productPath(product.ID), map[string]any{field: v})
		a.wantStatus(t, r, http.StatusOK)
		a.wantFields(t, r, map[string]any{field: v})
	}
	r := a.get(productPath(product.ID))
	a.wantFields(t, r, values[1])
	a.wantFields(t, a.patch(productPath(product.ID), map[string]any{"in_stock": nil}), map[string]any{"in_stock": nil})
}

// A PATCH with no field changes nothing, updated_at included.
func TestProductPatchNothing(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	product := a.create(t, nil)
	r := a.patch(productPath(product.ID), map[string]any{})
	a.wantStatus(t, r, http.StatusOK)
	var got products.Product
	r.Data(t, &got)
	if !got.UpdatedAt.Equal(product.UpdatedAt) {
		t.Errorf("updated_at %s, was %s", got.UpdatedAt, product.UpdatedAt)
	}
}

func TestProductDelete(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	product := a.create(t, nil)
	r := a.delete(productPath(product.ID))
	a.wantStatus(t, r, http.StatusOK)
	if env := r.Envelope(t); string(env.Data) != "null" || env.Message == nil || *env.Message != "Product deleted" {
		t.Errorf("answer %s", r.Body)
	}
	a.wantError(t, a.get(productPath(product.ID)), http.StatusNotFound, "NOT_FOUND", "")
	a.wantError(t, a.delete(productPath(product.ID)), http.StatusNotFound, "NOT_FOUND", "")
}

// A string field refuses what is not a string: a value of the wrong JSON type
// is 422, one that breaks the field's rule 400, each naming the field.
func TestProductStringFields(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	for _, field := range []string{"title"} {
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

// A decimal field refuses what is not a decimal: a value of the wrong JSON type
// is 422, one that breaks the field's rule 400, each naming the field.
func TestProductDecimalFields(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	for _, field := range []string{"price"} {
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
func TestProductBoolFields(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	for _, field := range []string{"in_stock"} {
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

// A ref field refuses what is not a ref: a value of the wrong JSON type
// is 422, one that breaks the field's rule 400, each naming the field.
func TestProductRefFields(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	for _, field := range []string{"category_id"} {
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

// A ref must point to an existing row (else 400 naming the
// field), and keeps that row from being deleted (409).
func TestProductRefs(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	a.wantError(t, a.post(a.body(map[string]any{"category_id": uuid.New()})), http.StatusBadRequest, "VALIDATION_FAILED", "category_id")
	{
		target := a.app.CreateCategory(a.moderator.Token, nil)
		a.create(t, map[string]any{"category_id": target.ID})
		r := a.app.DeleteAuth("/api/v1/categories/"+target.ID.String(), a.moderator.Token)
		a.wantError(t, r, http.StatusConflict, "CONFLICT", "")
	}
}

// Every route needs a session.
func TestProductsNeedASession(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	id := a.create(t, nil).ID
	for _, r := range []*apptest.Response{
		a.app.PostJSON(productsPath, a.body(nil)),
		a.app.Get(productsPath),
		a.app.Get(productPath(id)),
		a.app.PutJSON(productPath(id), a.body(nil)),
		a.app.PatchJSON(productPath(id), map[string]any{}),
		a.app.Delete(productPath(id)),
	} {
		a.wantError(t, r, http.StatusUnauthorized, "UNAUTHORIZED", "")
	}
}

// A user reaches only their own products (another's is 404, as if it did not
// exist); moderators and admins reach everyone's.
func TestProductsBelongToTheirCreator(t *testing.T) {
	t.Parallel()
	a := setupProducts(t)
	mine := a.create(t, nil)
	other := a.app.CreateAuthUser(auth.RoleUser)
	path := productPath(mine.ID)
	a.wantError(t, a.app.GetAuth(path, other.Token), http.StatusNotFound, "NOT_FOUND", "")
	a.wantError(t, a.app.PutJSONAuth(path, other.Token, a.app.ProductBody(other.Token, nil)), http.StatusNotFound, "NOT_FOUND", "")
	a.wantError(t, a.app.PatchJSONAuth(path, other.Token, map[string]any{}), http.StatusNotFound, "NOT_FOUND", "")
	a.wantError(t, a.app.DeleteAuth(path, other.Token), http.StatusNotFound, "NOT_FOUND", "")
	r := a.app.GetAuth(productsPath, other.Token)
	var theirs []products.Product
	r.Data(t, &theirs)
	if slices.Contains(a.ids(theirs), mine.ID) {
		t.Errorf("another user lists %s", mine.ID)
	}
	for _, staff := range []apptest.AuthUser{a.moderator, a.app.CreateAuthUser(auth.RoleAdmin)} {
		a.wantStatus(t, a.app.GetAuth(path, staff.Token), http.StatusOK)
		a.wantStatus(t, a.app.PatchJSONAuth(path, staff.Token, map[string]any{}), http.StatusOK)
		var all []products.Product
		a.app.GetAuth(productsPath, staff.Token).Data(t, &all)
		if !slices.Contains(a.ids(all), mine.ID) {
			t.Errorf("role %s does not list %s", staff.Role, mine.ID)
		}
	}
	a.wantStatus(t, a.app.DeleteAuth(path, a.moderator.Token), http.StatusOK)
}
