package apptest

import (
	"net/http"
	"strings"
	"testing"
)

// TestContractCheck feeds the contract exchanges that agree with the
// document and exchanges that do not, and checks the verdict and that a
// mismatch names the operation and what is wrong. It uses core routes only,
// so that it holds in every variant.
func TestContractCheck(t *testing.T) {
	t.Parallel()
	c, err := LoadContract()
	if err != nil {
		t.Fatal(err)
	}
	const (
		live     = `{"success":true,"data":{"status":"alive","timestamp":"2026-01-02T15:04:05Z","probe":"liveness"},"message":null}`
		notFound = `{"success":false,"error":{"code":"NOT_FOUND","message":"Route not found"}}`
	)
	cases := []struct {
		name        string
		method      string
		path        string
		skipRequest bool
		status      int
		body        string
		want        string // "" when the exchange agrees with the document
	}{
		{"a documented answer", "GET", "/api/v1/health/live", false, 200, live, ""},
		{"an undocumented status", "GET", "/api/v1/health/live", false, 418, live,
			"GET /api/v1/health/live (getLiveness): the 418 response breaks the document: status is not supported"},
		{"a body of the wrong shape", "GET", "/api/v1/health/live", false, 200, strings.Replace(live, `,"probe":"liveness"`, "", 1),
			`(getLiveness): the 200 response breaks the document: response body doesn't match schema #/components/schemas/LivenessEnvelope: at /data/probe: property "probe" is missing`},
		{"a field of the wrong type", "GET", "/api/v1/health/live", false, 200, strings.Replace(live, `"message":null`, `"message":7`, 1),
			`at /message: value must be a string`},
		{"an error code outside the enum", "GET", "/api/v1/health/live", false, 500, `{"success":false,"error":{"code":"OOPS","message":"x"}}`,
			`at /error/code: value is not one of the allowed values`},
		{"a request that breaks the document", "GET", "/api/v1/docs/secret.txt", false, 404, notFound,
			`GET /api/v1/docs/secret.txt (getDocsAsset): the request breaks the document: parameter "asset" in path`},
		{"the same request sent as invalid on purpose", "GET", "/api/v1/docs/secret.txt", true, 404, notFound, ""},
		{"an unknown path answered 404", "GET", "/api/v1/nope", false, 404, notFound, ""},
		{"an unknown path answered 200", "GET", "/api/v1/nope", false, 200, live,
			"GET /api/v1/nope: no operation in the document, but the service answered 200"},
		{"a trailing slash is not the route", "GET", "/api/v1/health/live/", false, 200, live,
			"GET /api/v1/health/live/: no operation in the document"},
		{"an unknown method answered 405", "DELETE", "/api/v1/health/live", false, 405,
			`{"success":false,"error":{"code":"METHOD_NOT_ALLOWED","message":"Method not allowed"}}`, ""},
		{"a 404 that is not the envelope", "GET", "/api/v1/nope", false, 404, `404 page not found`,
			"GET /api/v1/nope: the 404 response is not JSON"},
		{"HEAD answered like GET", "HEAD", "/api/v1/health/live", false, 200, "", ""},
		{"HEAD with a status GET does not have", "HEAD", "/api/v1/health/live", false, 418, "",
			"HEAD /api/v1/health/live (getLiveness): the 418 response breaks the document: status is not supported"},
		{"a test route", "GET", TestRoutesPrefix + "panic", false, 500, "anything", ""},
		{"a preflight", "OPTIONS", "/api/v1/health/live", false, 204, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tc.method, "http://127.0.0.1"+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp := &Response{Status: tc.status, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, Body: []byte(tc.body)}
			err = c.Check(Exchange{Request: req, Response: resp, SkipRequest: tc.skipRequest})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("want no mismatch, got %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("want a mismatch (%s), got none", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("mismatch %q\ndoes not say %q", err, tc.want)
			}
		})
	}
}
