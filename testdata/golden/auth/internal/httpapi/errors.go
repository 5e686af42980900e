package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/database"
)

// StatusOf is the one table from error code to HTTP status (the console
// answers its HTML pages with it too).
func StatusOf(code apperr.Code) int {
	switch code {
	case apperr.CodeValidation, apperr.CodeMalformedJSON, apperr.CodeInvalidQuery:
		return http.StatusBadRequest
	case apperr.CodeUnauthorized, apperr.CodeInvalidCredentials:
		return http.StatusUnauthorized
	case apperr.CodeForbidden:
		return http.StatusForbidden
	case apperr.CodeNotFound:
		return http.StatusNotFound
	case apperr.CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case apperr.CodeUsernameExists, apperr.CodeEmailExists, apperr.CodeConflict:
		return http.StatusConflict
	case apperr.CodePayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.CodeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case apperr.CodeUnprocessable:
		return http.StatusUnprocessableEntity
	case apperr.CodeRateLimited:
		return http.StatusTooManyRequests
	case apperr.CodeServiceUnavailable, apperr.CodeServiceUnhealthy:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// successEnvelope is the body of every successful answer.
type successEnvelope struct {
	Success bool    `json:"success"`
	Data    any     `json:"data"`
	Message *string `json:"message"`
}

type errorBody struct {
	Code    apperr.Code `json:"code"`
	Message string      `json:"message"`
	Field   string      `json:"field,omitempty"`
}

// errorEnvelope is the body of every error; Data is set only by failing health probes.
type errorEnvelope struct {
	Success bool      `json:"success"`
	Error   errorBody `json:"error"`
	Data    any       `json:"data,omitempty"`
}

// OK writes the success envelope; an empty message is sent as null.
func OK(c *gin.Context, status int, data any, message string) {
	env := successEnvelope{Success: true, Data: data}
	if message != "" {
		env.Message = &message
	}
	c.JSON(status, env)
}

// WriteError writes err as the error envelope and stops the handler chain.
// An *apperr.Error keeps its code and message; a database that cannot be
// reached (database.IsUnavailable: down, restarting, a connection cut) is a
// 503 with Retry-After, which clients and load balancers retry; anything
// else is a 500 without detail. Both attach the error to the request, so the
// access log records it with the request id.
func WriteError(c *gin.Context, err error) {
	writeErrorData(c, err, nil)
}

// unavailableRetry is the Retry-After of a 503 for a database away: about
// what a restart takes.
const unavailableRetry = 2 * time.Second

// Handle adapts a handler that returns its error: the handler writes its
// answer with OK and returns nil, or returns the error that WriteError
// answers. Every route of a feature goes through it, so none writes an
// error its own way.
func Handle(h func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			WriteError(c, err)
		}
	}
}

func writeErrorData(c *gin.Context, err error, data any) {
	e, ok := apperr.As(err)
	switch {
	case !ok && database.IsUnavailable(err):
		_ = c.Error(err)
		e = &apperr.Error{Code: apperr.CodeServiceUnavailable, Message: "Service temporarily unavailable, try again shortly",
			RetryAfter: unavailableRetry}
	case !ok:
		_ = c.Error(err)
		e = apperr.New(apperr.CodeInternal, "Internal server error")
	case e.Code == apperr.CodeInternal:
		_ = c.Error(err)
	}
	if e.RetryAfter > 0 {
		secs := int64(e.RetryAfter.Seconds() + 0.999)
		c.Header("Retry-After", strconv.FormatInt(secs, 10))
	}
	c.AbortWithStatusJSON(StatusOf(e.Code), errorEnvelope{
		Error: errorBody{Code: e.Code, Message: e.Message, Field: e.Field},
		Data:  data,
	})
}

func (s *Server) handleNotFound(c *gin.Context) {
	WriteError(c, apperr.New(apperr.CodeNotFound, "Route not found"))
}

func (s *Server) handleMethodNotAllowed(c *gin.Context) {
	WriteError(c, apperr.New(apperr.CodeMethodNotAllowed, "Method not allowed"))
}
