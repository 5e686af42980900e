package tests

import (
	"net/http"
	"testing"
)

// Text that encoding/json accepts but PostgreSQL cannot store is refused by
// the one JSON decoding path every route takes: 400 naming the field that
// holds it, or MALFORMED_JSON when no field does.
func TestUnstorableTextIs400(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	tests := []struct {
		name, body, code, field string
	}{
		{"NUL", `{"name":"a\u0000b"}`, "VALIDATION_FAILED", "name"},
		{"lone high surrogate", `{"name":"\ud800"}`, "VALIDATION_FAILED", "name"},
		{"lone low surrogate", `{"tags":["\udfff"]}`, "VALIDATION_FAILED", "tags"},
		{"raw invalid UTF-8", "{\"name\":\"\xc3\x28\"}", "VALIDATION_FAILED", "name"},
		{"nested", `{"extra":{"note":"\u0000"}}`, "VALIDATION_FAILED", "extra.note"},
		{"in a key", `{"\u0000":1}`, "MALFORMED_JSON", ""},
		{"bare string", `"\ud800"`, "MALFORMED_JSON", ""},
	}
	for _, tt := range tests {
		r := app.Raw(http.MethodPost, "/api/v1/_test/echo", "application/json", []byte(tt.body))
		wantError(t, r, http.StatusBadRequest, tt.code)
		if r.ErrorField() != tt.field {
			t.Fatalf("%s: field = %q, want %q", tt.name, r.ErrorField(), tt.field)
		}
	}
	r := app.Raw(http.MethodPost, "/api/v1/_test/echo", "application/json", []byte(`{"name":"\ud83d\ude00 ok"}`))
	var body echoBody
	r.Data(t, &body)
	if body.Name != "\U0001F600 ok" {
		t.Fatalf("a surrogate pair decoded to %q", body.Name)
	}
}
