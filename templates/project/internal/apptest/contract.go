package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/starter-go/starter/templates/project/internal/httpapi/openapi"
)

// TestRoutesPrefix is where WithRoutes mounts its routes by convention. They
// are the test's own, not the API's, so the contract does not apply to them.
const TestRoutesPrefix = "/api/v1/_test/"

// Contract is the service's OpenAPI document, ready to check the requests
// the client sends and the responses it gets.
type Contract struct {
	doc     *openapi3.T
	router  routers.Router
	options *openapi3filter.Options
	// unmatched is the error envelope, the answer to a request the document
	// has no operation for (404 for an unknown path, 405 for another method).
	unmatched *openapi3.Schema
}

// LoadContract returns the document's Contract. It is built once per test
// binary: parsing and validating the document, compiling its schemas and
// its router cost milliseconds, and a suite makes thousands of requests.
func LoadContract() (*Contract, error) { return contract() }

var contract = sync.OnceValues(func() (*Contract, error) { //nolint:gochecknoglobals // built once, read-only after
	d, err := openapi.Load()
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(d.JSON())
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	// The formats the service emits and the validator does not check by itself.
	doc.SetStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))
	router, err := legacy.NewRouter(doc) // validates the document too
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	opts := &openapi3filter.Options{
		// A status the operation does not list is a mismatch.
		IncludeResponseStatus: true,
		// The document says which operations need a token; whether the one
		// sent is good is for the service to answer (401), not for the client.
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
		SkipSettingDefaults:     true,
		SchemaValidationOptions: append(doc.GetSchemaValidationOptions(), openapi3.SetSchemaErrorMessageCustomizer(schemaError)),
	}
	return &Contract{
		doc: doc, router: router, options: opts,
		unmatched: doc.Components.Schemas["ErrorEnvelope"].Value,
	}, nil
})

// schemaError is a schema mismatch in one line: where, and why (the default
// message appends the whole schema and value).
func schemaError(err *openapi3.SchemaError) string {
	return fmt.Sprintf("at /%s: %s", strings.Join(err.JSONPointer(), "/"), err.Reason)
}

// isPage reports whether path is one of the service's HTML pages outside
// the JSON API, which the document does not describe.
func isPage(path string) bool {
	for _, prefix := range pagePrefixes() {
		if path == prefix || strings.HasPrefix(path, prefix+"/") {
			return true
		}
	}
	return false
}

// pagePrefixes are the paths under which a feature serves HTML pages.
func pagePrefixes() []string {
	return []string{
		// starter:feature auth
		"/console",
		// starter:end
	}
}

// Exchange is one request and its response, bodies read whole.
type Exchange struct {
	Request     *http.Request
	RequestBody []byte
	Response    *Response
	// SkipRequest leaves the request unchecked: the test sends it to see the
	// service refuse it.
	SkipRequest bool
}

// Check returns how the exchange disagrees with the document, naming the
// operation, or nil. Preflights (OPTIONS), the test's own routes and the HTML
// pages outside the API (the console) are not the API's and pass.
func (c *Contract) Check(x Exchange) error {
	req := x.Request
	if req.Method == http.MethodOptions || strings.HasPrefix(req.URL.Path, TestRoutesPrefix) || isPage(req.URL.Path) {
		return nil
	}
	// HEAD mirrors GET: the document lists the GET operation.
	find := req.Clone(context.Background())
	if req.Method == http.MethodHead {
		find.Method = http.MethodGet
	}
	route, params, err := c.router.FindRoute(find)
	// The router forgives a trailing slash; the service does not (404).
	if err != nil || strings.HasSuffix(req.URL.Path, "/") != strings.HasSuffix(route.Path, "/") {
		return c.checkUnmatched(req, x.Response)
	}
	name := fmt.Sprintf("%s %s (%s)", req.Method, req.URL.Path, route.Operation.OperationID)
	in := &openapi3filter.RequestValidationInput{Request: find, PathParams: params, Route: route, Options: c.options}
	if !x.SkipRequest {
		find.Body = io.NopCloser(bytes.NewReader(x.RequestBody))
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return fmt.Errorf("%s: the request breaks the document: %w", name, err)
		}
	}
	if err := c.checkResponse(in, x.Response, req.Method == http.MethodHead); err != nil {
		return fmt.Errorf("%s: the %d response breaks the document: %w", name, x.Response.Status, err)
	}
	return nil
}

// checkResponse validates status, headers and body; a HEAD response has no
// body, so only its status is held to the GET operation's.
func (c *Contract) checkResponse(in *openapi3filter.RequestValidationInput, r *Response, head bool) error {
	if head {
		if in.Route.Operation.Responses.Status(r.Status) == nil {
			return errors.New("status is not supported")
		}
		return nil
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 r.Status,
		Header:                 r.Header,
		Body:                   io.NopCloser(bytes.NewReader(r.Body)),
		Options:                c.options,
	})
}

// checkUnmatched holds a request the document has no operation for to the
// answer of an unknown route: 404 or 405 in the error envelope.
func (c *Contract) checkUnmatched(req *http.Request, r *Response) error {
	name := req.Method + " " + req.URL.Path
	if r.Status != http.StatusNotFound && r.Status != http.StatusMethodNotAllowed {
		return fmt.Errorf("%s: no operation in the document, but the service answered %d", name, r.Status)
	}
	if req.Method == http.MethodHead {
		return nil
	}
	var value any
	if err := json.Unmarshal(r.Body, &value); err != nil {
		return fmt.Errorf("%s: the %d response is not JSON: %w", name, r.Status, err)
	}
	if err := c.unmatched.VisitJSON(value, c.options.SchemaValidationOptions...); err != nil {
		return fmt.Errorf("%s: the %d response is not the error envelope: %w", name, r.Status, err)
	}
	return nil
}
