package apptest

import (
	"fmt"
	"net/http"

	"example.com/demo/internal/categories"
)

// CategoryBody is a valid body for POST /api/v1/categories: a value for each
// required field, a fresh one for each unique field. overrides replace fields, or remove them when nil. token is the
// caller's.
func (ta *TestApp) CategoryBody(token string, overrides map[string]any) map[string]any {
	ta.t.Helper()
	body := map[string]any{
		"name": fmt.Sprintf("name %d", ta.Unique()),
	}
	for k, v := range overrides {
		if v == nil {
			delete(body, k)
			continue
		}
		body[k] = v
	}
	return body
}

// CreateCategory creates a category through the API with token (a moderator's),
// and fails the test unless the answer is 201.
func (ta *TestApp) CreateCategory(token string, overrides map[string]any) categories.Category {
	ta.t.Helper()
	r := ta.PostJSONAuth("/api/v1/categories", token, ta.CategoryBody(token, overrides))
	if r.Status != http.StatusCreated {
		ta.t.Fatalf("create category: want 201, got %d: %s", r.Status, r.Body)
	}
	var category categories.Category
	r.Data(ta.t, &category)
	return category
}
