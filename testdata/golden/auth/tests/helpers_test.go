package tests

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/httpapi"
)

// echoBody is what the test route /api/v1/_test/echo decodes.
type echoBody struct {
	Name  string         `json:"name"`
	Count int            `json:"count"`
	Tags  []string       `json:"tags"`
	Extra map[string]any `json:"extra"`
	Deep  any            `json:"deep"`
}

// testRoutes reach the middleware and the error writer through handlers of the test's own.
func testRoutes(api *gin.RouterGroup) {
	api.POST("/_test/echo", func(c *gin.Context) {
		var body echoBody
		if err := httpapi.DecodeJSON(c, &body); err != nil {
			httpapi.WriteError(c, err)
			return
		}
		httpapi.OK(c, http.StatusOK, body, "echoed")
	})
	api.GET("/_test/echo", func(c *gin.Context) { httpapi.OK(c, http.StatusOK, nil, "") })
	api.GET("/_test/panic", func(*gin.Context) { panic("secret panic detail") })
	api.GET("/_test/error", func(c *gin.Context) {
		httpapi.WriteError(c, errors.New("secret internal detail"))
	})
	api.GET("/_test/deadline", func(c *gin.Context) {
		<-c.Request.Context().Done()
		httpapi.OK(c, http.StatusOK, c.Request.Context().Err().Error(), "")
	})
}

func newApp(t *testing.T, opts ...apptest.Option) *apptest.TestApp {
	t.Helper()
	return apptest.New(t, append([]apptest.Option{apptest.WithRoutes(testRoutes)}, opts...)...)
}

func wantStatus(t *testing.T, r *apptest.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d: %s", r.Status, status, r.Body)
	}
}

// wantError checks an error answer: status, code and the envelope's shape.
func wantError(t *testing.T, r *apptest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.ErrorCode() != code {
		t.Fatalf("want %d %s, got %d %s", status, code, r.Status, r.Body)
	}
	env := r.Envelope(t)
	if env.Success || env.Error == nil || env.Error.Message == "" {
		t.Fatalf("not an error envelope: %s", r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want application/json", ct)
	}
	if r.Header.Get("X-Request-ID") == "" {
		t.Fatal("error without X-Request-ID")
	}
}

// object decodes a JSON object for checks of exact keys.
func object(t *testing.T, raw json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not an object: %v: %s", err, raw)
	}
	return m
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
