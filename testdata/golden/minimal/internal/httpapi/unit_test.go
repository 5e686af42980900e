package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"example.com/demo/internal/apperr"
)

func TestStatusOfCoversEveryCode(t *testing.T) {
	t.Parallel()
	want := map[apperr.Code]int{
		apperr.CodeValidation: 400, apperr.CodeMalformedJSON: 400, apperr.CodeInvalidQuery: 400,
		apperr.CodeUnauthorized: 401, apperr.CodeInvalidCredentials: 401, apperr.CodeForbidden: 403,
		apperr.CodeNotFound: 404, apperr.CodeMethodNotAllowed: 405, apperr.CodeUsernameExists: 409,
		apperr.CodeEmailExists: 409, apperr.CodeConflict: 409, apperr.CodePayloadTooLarge: 413,
		apperr.CodeUnsupportedMediaType: 415, apperr.CodeUnprocessable: 422, apperr.CodeRateLimited: 429,
		apperr.CodeInternal: 500, apperr.CodeServiceUnavailable: 503, apperr.CodeServiceUnhealthy: 503,
	}
	for code, status := range want {
		if got := StatusOf(code); got != status {
			t.Errorf("%s → %d, want %d", code, got, status)
		}
	}
	if got := StatusOf("SOMETHING_NEW"); got != http.StatusInternalServerError {
		t.Errorf("unknown code → %d", got)
	}
}

func TestJSONDepth(t *testing.T) {
	t.Parallel()
	cases := []struct {
		json string
		want int
	}{
		{`1`, 0},
		{`{}`, 1},
		{`[[],[[]]]`, 3},
		{`{"a":{"b":[1,{"c":2}]}}`, 4},
		{`{"a":"[[[{{{"}`, 1},
		{`{"a":"\"[["}`, 1},
		{`{"a":"\\","b":[[]]}`, 3},
		{strings.Repeat("[", 40) + strings.Repeat("]", 40), 40},
	}
	for _, tc := range cases {
		if got := jsonDepth([]byte(tc.json)); got != tc.want {
			t.Errorf("%s: depth %d, want %d", tc.json, got, tc.want)
		}
	}
}

func TestValidRequestID(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]bool{
		"":                       false,
		"a":                      true,
		"A-z_0.9":                true,
		strings.Repeat("a", 128): true,
		strings.Repeat("a", 129): false,
		"a b":                    false,
		"a\n":                    false,
		"ü":                      false,
		"a/b":                    false,
	} {
		if got := validRequestID(id); got != want {
			t.Errorf("%q: %v, want %v", id, got, want)
		}
	}
}

func TestDecodeBodyErrors(t *testing.T) {
	t.Parallel()
	type target struct {
		N int               `json:"n"`
		M map[string]string `json:"m"`
	}
	cases := []struct {
		body  string
		code  apperr.Code
		field string
	}{
		{``, apperr.CodeMalformedJSON, ""},
		{`{"n":`, apperr.CodeMalformedJSON, ""},
		{`{"n":"1"}`, apperr.CodeUnprocessable, "n"},
		{`{"m":{"k":1}}`, apperr.CodeUnprocessable, "m"},
		{`[1]`, apperr.CodeUnprocessable, ""},
		{strings.Repeat(`{"m":`, 33) + `1` + strings.Repeat(`}`, 33), apperr.CodeUnprocessable, ""},
	}
	for _, tc := range cases {
		var dst target
		e, ok := apperr.As(decodeBody([]byte(tc.body), &dst))
		if !ok || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%.40s: got %v, want %s field %q", tc.body, e, tc.code, tc.field)
		}
	}
	var dst target
	if err := decodeBody([]byte(`{"n": 3, "other": true}`), &dst); err != nil || dst.N != 3 {
		t.Fatalf("valid body: %v %+v", err, dst)
	}
}
