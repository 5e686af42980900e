package app

import "example.com/demo/internal/products"

// productsFeature is the products resource (internal/products).
type productsFeature struct{}

func (productsFeature) wire(w *wiring) error {
	w.deps.Routes = append(w.deps.Routes, products.Routes(products.NewStore(w.pool)))
	w.tables = append(w.tables, "products")
	return nil
}
