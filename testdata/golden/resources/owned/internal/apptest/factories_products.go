package apptest

import (
	"net/http"

	"example.com/demo/internal/auth"
	"example.com/demo/internal/products"
)

// ProductBody is a valid body for POST /api/v1/products: a value for each
// required field, a fresh one for each unique field, and a new category
// for category_id. overrides replace fields, or remove them when nil. token is the
// caller's, who must see the products it points to.
func (ta *TestApp) ProductBody(token string, overrides map[string]any) map[string]any {
	ta.t.Helper()
	body := map[string]any{
		"title": "sample title",
		"price": "19.99",
	}
	if _, ok := overrides["category_id"]; !ok {
		body["category_id"] = ta.CreateCategory(ta.CreateAuthUser(auth.RoleModerator).Token, nil).ID
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

// CreateProduct creates a product through the API, as the user of token,
// and fails the test unless the answer is 201.
func (ta *TestApp) CreateProduct(token string, overrides map[string]any) products.Product {
	ta.t.Helper()
	r := ta.PostJSONAuth("/api/v1/products", token, ta.ProductBody(token, overrides))
	if r.Status != http.StatusCreated {
		ta.t.Fatalf("create product: want 201, got %d: %s", r.Status, r.Body)
	}
	var product products.Product
	r.Data(ta.t, &product)
	return product
}
