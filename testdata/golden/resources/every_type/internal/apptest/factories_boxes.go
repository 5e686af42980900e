package apptest

import (
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"example.com/demo/internal/boxes"
)

// BoxBody is a valid body for POST /api/v1/boxes: a value for each
// required field, a fresh one for each unique field. overrides replace fields, or remove them when nil.
func (ta *TestApp) BoxBody(overrides map[string]any) map[string]any {
	ta.t.Helper()
	body := map[string]any{
		"label":      fmt.Sprintf("label %d", ta.Unique()),
		"size":       int64(42),
		"weight":     fmt.Sprintf("%d.50", 1_000_000+ta.Unique()),
		"shipped_on": time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(ta.Unique())).Format(time.DateOnly),
		"code":       uuid.NewString(),
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

// CreateBox creates a box through the API,
// and fails the test unless the answer is 201.
func (ta *TestApp) CreateBox(overrides map[string]any) boxes.Box {
	ta.t.Helper()
	r := ta.PostJSON("/api/v1/boxes", ta.BoxBody(overrides))
	if r.Status != http.StatusCreated {
		ta.t.Fatalf("create box: want 201, got %d: %s", r.Status, r.Body)
	}
	var box boxes.Box
	r.Data(ta.t, &box)
	return box
}
