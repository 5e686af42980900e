package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// Response is an answer of the service, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Envelope is the JSON shape every answer of the API has.
type Envelope struct {
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Message *string         `json:"message"`
	Error   *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// Envelope decodes the body as the API envelope, failing the test if it is not one.
func (r *Response) Envelope(t testing.TB) Envelope {
	t.Helper()
	var env Envelope
	if err := json.Unmarshal(r.Body, &env); err != nil {
		t.Fatalf("response %d is not JSON: %v\n%s", r.Status, err, r.Body)
	}
	return env
}

// Data decodes the data of a successful answer into v, failing the test when
// the answer is not a success.
func (r *Response) Data(t testing.TB, v any) {
	t.Helper()
	env := r.Envelope(t)
	if !env.Success || r.Status >= 400 {
		t.Fatalf("want success, got %d: %s", r.Status, r.Body)
	}
	if err := json.Unmarshal(env.Data, v); err != nil {
		t.Fatalf("decode data: %v\n%s", err, r.Body)
	}
}

// ErrorCode is error.code of an error answer, "" otherwise.
func (r *Response) ErrorCode() string {
	var env Envelope
	if json.Unmarshal(r.Body, &env) != nil || env.Error == nil {
		return ""
	}
	return env.Error.Code
}

// ErrorField is error.field of an error answer, "" otherwise.
func (r *Response) ErrorField() string {
	var env Envelope
	if json.Unmarshal(r.Body, &env) != nil || env.Error == nil {
		return ""
	}
	return env.Error.Field
}

// ErrorMessage is error.message of an error answer, "" otherwise.
func (r *Response) ErrorMessage() string {
	var env Envelope
	if json.Unmarshal(r.Body, &env) != nil || env.Error == nil {
		return ""
	}
	return env.Error.Message
}

// Get sends GET path (relative to URL).
func (ta *TestApp) Get(path string) *Response {
	ta.t.Helper()
	return ta.send(http.MethodGet, path, "", nil)
}

// GetAuth sends GET path with a bearer token.
func (ta *TestApp) GetAuth(path, token string) *Response {
	ta.t.Helper()
	return ta.send(http.MethodGet, path, token, nil)
}

// PostJSON sends body as JSON.
func (ta *TestApp) PostJSON(path string, body any) *Response {
	ta.t.Helper()
	return ta.send(http.MethodPost, path, "", body)
}

// PostJSONAuth sends body as JSON with a bearer token.
func (ta *TestApp) PostJSONAuth(path, token string, body any) *Response {
	ta.t.Helper()
	return ta.send(http.MethodPost, path, token, body)
}

// PutJSONAuth sends body as JSON with PUT and a bearer token.
func (ta *TestApp) PutJSONAuth(path, token string, body any) *Response {
	ta.t.Helper()
	return ta.send(http.MethodPut, path, token, body)
}

// PutJSON sends body as JSON with PUT.
func (ta *TestApp) PutJSON(path string, body any) *Response {
	ta.t.Helper()
	return ta.send(http.MethodPut, path, "", body)
}

// PatchJSON sends body as JSON with PATCH.
func (ta *TestApp) PatchJSON(path string, body any) *Response {
	ta.t.Helper()
	return ta.send(http.MethodPatch, path, "", body)
}

// PatchJSONAuth sends body as JSON with PATCH and a bearer token.
func (ta *TestApp) PatchJSONAuth(path, token string, body any) *Response {
	ta.t.Helper()
	return ta.send(http.MethodPatch, path, token, body)
}

// Delete sends DELETE with no body.
func (ta *TestApp) Delete(path string) *Response {
	ta.t.Helper()
	return ta.send(http.MethodDelete, path, "", nil)
}

// DeleteAuth sends DELETE with a bearer token and no body.
func (ta *TestApp) DeleteAuth(path, token string) *Response {
	ta.t.Helper()
	return ta.send(http.MethodDelete, path, token, nil)
}

// DeleteJSONAuth sends DELETE with a JSON body and a bearer token.
func (ta *TestApp) DeleteJSONAuth(path, token string, body any) *Response {
	ta.t.Helper()
	return ta.send(http.MethodDelete, path, token, body)
}

// Raw sends body exactly as given, with the given Content-Type ("" sends
// none): for malformed, oversized or mistyped bodies. Like Invalid, it does
// not hold the request to the document; the answer still is.
func (ta *TestApp) Raw(method, path, contentType string, body []byte) *Response {
	ta.t.Helper()
	req := ta.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return ta.Invalid().Do(req)
}

// Invalid returns a client for requests that break the API's document on
// purpose (a missing field, a wrong type, a value out of range, a bad id or
// query), to see the service refuse them. Their answers are still checked
// against the document; only the request is not.
func (ta *TestApp) Invalid() *TestApp {
	c := *ta
	c.invalid = true
	return &c
}

// NewRequest builds a request to path, failing the test on a bad path.
func (ta *TestApp) NewRequest(method, path string, body io.Reader) *http.Request {
	ta.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, ta.URL+path, body)
	if err != nil {
		ta.t.Fatalf("new request %s %s: %v", method, path, err)
	}
	return req
}

// Do sends req and reads the whole answer, failing the test on a transport
// error. The request and the answer are checked against the API's OpenAPI
// document (see Contract); a mismatch fails the test, naming the operation.
func (ta *TestApp) Do(req *http.Request) *Response {
	ta.t.Helper()
	x := Exchange{Request: req, SkipRequest: ta.invalid}
	if req.GetBody != nil {
		// A copy of the body for the check: req.Body itself goes out as the
		// test made it (streamed, with its length or without).
		if b, err := req.GetBody(); err == nil {
			x.RequestBody, _ = io.ReadAll(b)
		}
	} else if req.Body != nil && req.Body != http.NoBody {
		x.SkipRequest = true // a stream the check cannot read twice
	}
	resp, err := ta.client.Do(req)
	if err != nil {
		ta.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		ta.t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	x.Response = &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	ta.checkContract(x)
	return x.Response
}

// checkContract fails the test (without stopping it) when x breaks the document.
func (ta *TestApp) checkContract(x Exchange) {
	ta.t.Helper()
	c, err := LoadContract()
	if err != nil {
		ta.t.Fatalf("apptest: %v", err)
	}
	if err := c.Check(x); err != nil {
		ta.t.Errorf("OpenAPI contract: %v", err)
	}
}

func (ta *TestApp) send(method, path, token string, body any) *Response {
	ta.t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			ta.t.Fatalf("encode %s %s body: %v", method, path, err)
		}
		r = bytes.NewReader(data)
	}
	req := ta.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return ta.Do(req)
}
