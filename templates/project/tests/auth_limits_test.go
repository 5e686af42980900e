package tests

import (
	"net/http"
	"testing"

	"github.com/starter-go/starter/templates/project/internal/apptest"
)

// With the database gone, a login cannot be counted against its limits: it is
// refused as unavailable (503 with Retry-After), never a 500, and never let
// through uncounted.
func TestAuthLoginLimitsFailClosedWithoutDatabase(t *testing.T) {
	t.Parallel()
	app := apptest.New(t, apptest.WithDBProxy())
	app.Proxy.Cut()
	r := login(app, map[string]any{"username": "someone", "password": "Wrong7horse!"})
	wantError(t, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
}
