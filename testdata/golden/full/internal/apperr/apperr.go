// Package apperr defines the errors the service reports to its clients: a code
// from the API contract, a message safe to show, and the field at fault.
// The HTTP layer maps each code to a status in one table (httpapi/errors.go).
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Code is a machine-readable error code of the API contract.
type Code string

// The codes clients receive in error.code. Each maps to exactly one HTTP
// status in httpapi.
const (
	CodeValidation           Code = "VALIDATION_FAILED"
	CodeMalformedJSON        Code = "MALFORMED_JSON"
	CodeInvalidQuery         Code = "INVALID_QUERY"
	CodeUnauthorized         Code = "UNAUTHORIZED"
	CodeInvalidCredentials   Code = "INVALID_CREDENTIALS" //nolint:gosec // G101: an error code, not a credential
	CodeForbidden            Code = "FORBIDDEN"
	CodeNotFound             Code = "NOT_FOUND"
	CodeMethodNotAllowed     Code = "METHOD_NOT_ALLOWED"
	CodeUsernameExists       Code = "USERNAME_ALREADY_EXISTS"
	CodeEmailExists          Code = "EMAIL_ALREADY_EXISTS"
	CodeConflict             Code = "CONFLICT"
	CodePayloadTooLarge      Code = "PAYLOAD_TOO_LARGE"
	CodeUnsupportedMediaType Code = "UNSUPPORTED_MEDIA_TYPE"
	CodeUnprocessable        Code = "UNPROCESSABLE_ENTITY"
	CodeRateLimited          Code = "RATE_LIMITED"
	CodeInternal             Code = "INTERNAL_ERROR"
	CodeServiceUnavailable   Code = "SERVICE_UNAVAILABLE"
	CodeServiceUnhealthy     Code = "SERVICE_UNHEALTHY"
)

// Error is an error meant for the client. Anything that is not an *Error is
// reported as an internal error without detail.
type Error struct {
	Code    Code
	Message string
	// Field names the request field at fault, when there is one.
	Field string
	// RetryAfter, when positive, is sent as the Retry-After header.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (%s): %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// New returns an error with a code and a client-safe message.
func New(code Code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// Newf is New with a formatted message.
func Newf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Validation reports a field that breaks a rule; the message reads
// "Validation failed for <field>: <rule>".
func Validation(field, rule string) *Error {
	return &Error{Code: CodeValidation, Field: field, Message: fmt.Sprintf("Validation failed for %s: %s", field, rule)}
}

// Unprocessable reports valid JSON of the wrong shape.
func Unprocessable(message string) *Error {
	return &Error{Code: CodeUnprocessable, Message: message}
}

// InvalidQuery reports a bad query or path parameter.
func InvalidQuery(param, rule string) *Error {
	return &Error{Code: CodeInvalidQuery, Field: param, Message: fmt.Sprintf("Invalid query parameter %s: %s", param, rule)}
}

// NotFound reports a resource that does not exist or that the caller may not see.
func NotFound(what string) *Error {
	return &Error{Code: CodeNotFound, Message: what + " not found"}
}

// Conflict reports a state that forbids the action.
func Conflict(message string) *Error {
	return &Error{Code: CodeConflict, Message: message}
}

// Forbidden reports a caller whose role is too low for the action.
func Forbidden(message string) *Error {
	return &Error{Code: CodeForbidden, Message: message}
}

// Unauthorized reports a missing, malformed, expired or revoked token.
func Unauthorized(message string) *Error {
	return &Error{Code: CodeUnauthorized, Message: message}
}

// RateLimited reports too many attempts; retryAfter becomes the Retry-After header.
func RateLimited(retryAfter time.Duration) *Error {
	return &Error{Code: CodeRateLimited, Message: "Too many requests, try again later", RetryAfter: retryAfter}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool {
	e, ok := As(err)
	return ok && e.Code == code
}
