package httpapi

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"example.com/demo/internal/apperr"
)

const (
	headerRequestID = "X-Request-Id"
	// userIDKey is the gin context key under which authentication records the caller for the access log.
	userIDKey = "httpapi.user_id"
)

// fixedHeaders are header values shared by every response. Each slice has
// len == cap, so an Add by a handler copies instead of writing into it.
type fixedHeaders struct {
	security      [][2][]string
	vary          []string
	exposeHeaders []string
	allowMethods  []string
	allowHeaders  []string
	maxAge        []string
}

func newFixedHeaders(production bool) fixedHeaders {
	one := func(v string) []string { return []string{v} }
	h := fixedHeaders{
		security: [][2][]string{
			{one("X-Content-Type-Options"), one("nosniff")},
			{one("X-Frame-Options"), one("DENY")},
			{one("Referrer-Policy"), one("no-referrer")},
			{one("Content-Security-Policy"), one("default-src 'none'; frame-ancestors 'none'")},
		},
		vary:          one("Origin"),
		exposeHeaders: one("X-Request-ID"),
		allowMethods:  one("GET, POST, PUT, PATCH, DELETE, OPTIONS"),
		allowHeaders:  one("Authorization, Content-Type, X-Request-ID"),
		maxAge:        one("600"),
	}
	if production {
		h.security = append(h.security, [2][]string{one("Strict-Transport-Security"), one("max-age=63072000; includeSubDomains")})
	}
	return h
}

// stamp sets the request id and the security headers before anything else runs,
// so every answer carries them, errors and panics included.
func (s *Server) stamp(c *gin.Context) {
	h := c.Writer.Header()
	id := c.Request.Header.Get(headerRequestID)
	if !validRequestID(id) {
		id = newRequestID()
	}
	h[headerRequestID] = []string{id}
	for _, kv := range s.headers.security {
		h[kv[0][0]] = kv[1]
	}
	c.Next()
}

// validRequestID accepts 1–128 characters of [A-Za-z0-9._-].
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		ok := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-'
		if !ok {
			return false
		}
	}
	return true
}

// newRequestID returns a random (version 4) UUID. Its bits come from the
// runtime's ChaCha8 generator, seeded by the OS: unique and unguessable enough
// for tracing, and without a getrandom call per request as uuid.New makes.
func newRequestID() string {
	var u uuid.UUID
	hi, lo := rand.Uint64(), rand.Uint64() //nolint:gosec // G404: ChaCha8, as said above
	binary.LittleEndian.PutUint64(u[:8], hi)
	binary.LittleEndian.PutUint64(u[8:], lo)
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u.String()
}

// requestID is the id stamped on the current response.
func requestID(c *gin.Context) string { return c.Writer.Header().Get(headerRequestID) }

// logger is the service logger carrying the request id, for handlers that log.
func (s *Server) logger(c *gin.Context) *slog.Logger {
	return s.Logger.With(slog.String("request_id", requestID(c)))
}

// recover turns a panic into a logged 500 without detail.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if err, ok := r.(error); ok && errors.Is(err, http.ErrAbortHandler) {
			panic(r)
		}
		s.logger(c).LogAttrs(c.Request.Context(), slog.LevelError, "panic",
			slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
		if c.Writer.Written() {
			c.Abort()
			return
		}
		WriteError(c, apperr.New(apperr.CodeInternal, "Internal server error"))
	}()
	c.Next()
}

// cors answers preflights itself and echoes allowed origins. Origins not on the
// allow-list get the same answers without any Access-Control-Allow-* header.
func (s *Server) cors(c *gin.Context) {
	origin := c.Request.Header.Get("Origin")
	if origin == "" {
		c.Next()
		return
	}
	h := c.Writer.Header()
	h["Vary"] = s.headers.vary
	allowed := s.origins[origin]
	if allowed {
		h["Access-Control-Allow-Origin"] = []string{origin}
		h["Access-Control-Expose-Headers"] = s.headers.exposeHeaders
	}
	if c.Request.Method != http.MethodOptions {
		c.Next()
		return
	}
	if allowed {
		h["Access-Control-Allow-Methods"] = s.headers.allowMethods
		h["Access-Control-Allow-Headers"] = s.headers.allowHeaders
		h["Access-Control-Max-Age"] = s.headers.maxAge
	}
	c.AbortWithStatus(http.StatusNoContent)
}

// limitBody refuses bodies over the limit: at once when Content-Length says
// so, else when the handler reads past it (DecodeJSON answers 413).
func (s *Server) limitBody(c *gin.Context) {
	limit := s.Config.BodyLimit
	if c.Request.ContentLength > limit {
		WriteError(c, apperr.Newf(apperr.CodePayloadTooLarge, "Request body exceeds %d bytes", limit))
		return
	}
	if c.Request.Body != nil && c.Request.Body != http.NoBody {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	}
	c.Next()
}

// deadline bounds the request's context by the request timeout. The liveness
// probe goes without: it answers from memory, so there is nothing for a
// deadline to cut short, while the timer, its context and the copy of the
// request it needs would be a fifth of what the probe costs the server, which
// orchestrators call every few seconds on every instance.
func (s *Server) deadline(c *gin.Context) {
	if c.FullPath() == liveRoute {
		c.Next()
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Config.RequestTimeout)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}
