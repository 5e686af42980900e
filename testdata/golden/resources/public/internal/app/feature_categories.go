package app

import "example.com/demo/internal/categories"

// categoriesFeature is the categories resource (internal/categories).
type categoriesFeature struct{}

func (categoriesFeature) wire(w *wiring) error {
	w.deps.Routes = append(w.deps.Routes, categories.Routes(categories.NewStore(w.pool)))
	w.tables = append(w.tables, "categories")
	return nil
}
