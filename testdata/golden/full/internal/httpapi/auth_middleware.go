package httpapi

import (
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/auth"
)

// principalKey is the gin context key of the authenticated caller.
const principalKey = "httpapi.principal"

var errNoToken = apperr.Unauthorized("Missing or malformed bearer token")

// RequireAuth resolves the bearer token to the caller or answers 401. It does
// not write to the database on every request: auth.Service caches resolved
// tokens briefly and throttles last-activity updates.
func (s *Server) RequireAuth(c *gin.Context) {
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

// RequireRole answers 403 to callers below min; it runs after RequireAuth.
func (s *Server) RequireRole(min auth.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !Principal(c).Role.AtLeast(min) {
			WriteError(c, apperr.Forbidden("Insufficient permissions"))
			return
		}
		c.Next()
	}
}

// Principal is the caller of a route behind RequireAuth.
func Principal(c *gin.Context) auth.Principal {
	p, _ := c.MustGet(principalKey).(auth.Principal)
	return p
}

// OwnerFilter is the owner whose rows the caller of a route behind
// RequireAuth may see and change: users their own, moderators and admins
// everyone's (nil). What it hides is answered 404, as if it did not exist.
func OwnerFilter(c *gin.Context) *uuid.UUID {
	p := Principal(c)
	if p.Role.AtLeast(auth.RoleModerator) {
		return nil
	}
	return &p.UserID
}

// SetUserID records the authenticated caller for the access log line (the
// console's sessions too).
func SetUserID(c *gin.Context, id string) { c.Set(userIDKey, id) }
