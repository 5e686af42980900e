package httpapi

import (
	"github.com/gin-gonic/gin"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/auth"
)

// principalKey is the gin context key of the authenticated caller.
const principalKey = "httpapi.principal"

var errNoToken = apperr.Unauthorized("Missing or malformed bearer token")

// requireAuth resolves the bearer token to the caller or answers 401. It does
// not write to the database on every request: auth.Service caches resolved
// tokens briefly and throttles last-activity updates.
func (s *Server) requireAuth(c *gin.Context) {
	token, ok := auth.BearerToken(c.GetHeader("Authorization"))
	if !ok {
		s.unauthorized(c, errNoToken)
		return
	}
	p, err := s.Auth.Authenticate(c.Request.Context(), token)
	if err != nil {
		s.unauthorized(c, err)
		return
	}
	c.Set(principalKey, p)
	SetUserID(c, p.UserID.String())
	c.Next()
}

func (s *Server) unauthorized(c *gin.Context, err error) {
	if apperr.Is(err, apperr.CodeUnauthorized) {
		c.Header("WWW-Authenticate", "Bearer")
	}
	WriteError(c, err)
}

// requireRole answers 403 to callers below min; it runs after requireAuth.
func (s *Server) requireRole(min auth.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !principal(c).Role.AtLeast(min) {
			WriteError(c, apperr.Forbidden("Insufficient permissions"))
			return
		}
		c.Next()
	}
}

// principal is the caller of a route behind requireAuth.
func principal(c *gin.Context) auth.Principal {
	p, _ := c.MustGet(principalKey).(auth.Principal)
	return p
}
