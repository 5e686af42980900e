package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"

	"github.com/gin-gonic/gin"

	"example.com/demo/internal/apperr"
)

// maxJSONDepth is the deepest nesting of objects and arrays a body may have.
const maxJSONDepth = 32

// DecodeJSON reads the request body into dst. The errors it returns are
// *apperr.Error ready for WriteError: 415 without an application/json content
// type, 413 over the body limit, 400 MALFORMED_JSON for an empty or invalid
// body, 400 VALIDATION_FAILED naming the field of a string PostgreSQL cannot
// store (NUL, a lone surrogate, invalid UTF-8), 422 for a wrong JSON type or
// nesting deeper than 32. Unknown fields are ignored. Every route decodes its
// body here, so none can pass such text on to the database.
func DecodeJSON(c *gin.Context, dst any) error {
	if !isJSON(c.GetHeader("Content-Type")) {
		return apperr.New(apperr.CodeUnsupportedMediaType, "Content-Type must be application/json")
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return apperr.Newf(apperr.CodePayloadTooLarge, "Request body exceeds %d bytes", tooLarge.Limit)
		}
		return apperr.New(apperr.CodeMalformedJSON, "Request body could not be read")
	}
	return decodeBody(body, dst)
}

func decodeBody(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.New(apperr.CodeMalformedJSON, "Request body is empty")
	}
	if !json.Valid(body) {
		return apperr.New(apperr.CodeMalformedJSON, "Request body is not valid JSON")
	}
	if p, found := findUnstorableText(body); found {
		return unstorableText(p)
	}
	if jsonDepth(body) > maxJSONDepth {
		return apperr.Unprocessable(fmt.Sprintf("JSON nesting is deeper than %d levels", maxJSONDepth))
	}
	err := json.Unmarshal(body, dst)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return apperr.Unprocessable("Request body must be a JSON " + jsonKind(typeErr.Type))
	case errors.As(err, &typeErr):
		e := apperr.Unprocessable(fmt.Sprintf("Field %s must be a JSON %s", typeErr.Field, jsonKind(typeErr.Type)))
		e.Field = typeErr.Field
		return e
	default:
		return fmt.Errorf("decode json: %w", err)
	}
}

// unstorableText is the error of a string no database column can hold: 400
// VALIDATION_FAILED on the field that holds it, as for any other rule a field
// breaks; 400 MALFORMED_JSON when no field holds it (an object key, or a body
// that is a bare string).
func unstorableText(p textProblem) error {
	if p.inKey || p.field == "" {
		return apperr.New(apperr.CodeMalformedJSON,
			"Request body holds text that is not valid Unicode (NUL, a lone surrogate or invalid UTF-8)")
	}
	return apperr.Validation(p.field, "Text must be valid Unicode without NUL characters or lone surrogates")
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// jsonDepth is the deepest nesting of objects and arrays in valid JSON.
func jsonDepth(data []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, b := range data {
		switch {
		case escaped:
			escaped = false
		case inString && b == '\\':
			escaped = true
		case b == '"':
			inString = !inString
		case inString:
		case b == '{' || b == '[':
			depth++
			deepest = max(deepest, depth)
		case b == '}' || b == ']':
			depth--
		}
	}
	return deepest
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return "object"
	}
}
