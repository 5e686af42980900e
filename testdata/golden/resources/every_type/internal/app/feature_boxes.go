package app

import "example.com/demo/internal/boxes"

// boxesFeature is the boxes resource (internal/boxes).
type boxesFeature struct{}

func (boxesFeature) wire(w *wiring) error {
	w.deps.Routes = append(w.deps.Routes, boxes.Routes(boxes.NewStore(w.pool)))
	w.tables = append(w.tables, "boxes")
	return nil
}
