package httpapi

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"example.com/demo/internal/auth"
)

// registerRequest is the body of POST /auth/register.
type registerRequest struct {
	Username *string `json:"username"`
	Email    *string `json:"email"`
	Password *string `json:"password"`
}

func (r *registerRequest) Rules() []Rule {
	return []Rule{Required("username", r.Username), Required("email", r.Email), Required("password", r.Password)}
}

// loginRequest is the body of POST /auth/login: exactly one of username and
// email, checked by the service.
type loginRequest struct {
	Username  *string `json:"username"`
	Email     *string `json:"email"`
	Password  *string `json:"password"`
	UserAgent *string `json:"user_agent"`
}

func (r *loginRequest) Rules() []Rule {
	return []Rule{Required("password", r.Password)}
}

func (s *Server) handleRegister(c *gin.Context) error {
	var in registerRequest
	if err := BindBody(c, &in); err != nil {
		return err
	}
	u, err := s.Auth.Register(c.Request.Context(), auth.RegisterInput{
		Username: *in.Username, Email: *in.Email, Password: *in.Password, ClientIP: s.clientIP(c),
	})
	if err != nil {
		return err
	}
	OK(c, http.StatusCreated, u, "User registered successfully")
	return nil
}

func (s *Server) handleLogin(c *gin.Context) error {
	var in loginRequest
	if err := BindBody(c, &in); err != nil {
		return err
	}
	ua := c.GetHeader("User-Agent")
	if in.UserAgent != nil {
		ua = *in.UserAgent
	}
	res, err := s.Auth.Login(c.Request.Context(), auth.LoginInput{
		Username: stringOrEmpty(in.Username), Email: stringOrEmpty(in.Email), Password: *in.Password,
		UserAgent: ua, ClientIP: s.clientIP(c),
	})
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, res, "Login successful")
	return nil
}

func (s *Server) handleLogout(c *gin.Context) error {
	if err := s.Auth.Logout(c.Request.Context(), Principal(c)); err != nil {
		return err
	}
	OK(c, http.StatusOK, nil, "Logged out successfully")
	return nil
}

func (s *Server) handleLogoutAll(c *gin.Context) error {
	n, err := s.Auth.LogoutAll(c.Request.Context(), Principal(c))
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, gin.H{"sessions_ended": n}, fmt.Sprintf("Ended %d session(s)", n))
	return nil
}

func (s *Server) handleRefresh(c *gin.Context) error {
	res, err := s.Auth.Refresh(c.Request.Context(), Principal(c), s.clientIP(c))
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, res, "Session refreshed")
	return nil
}

func stringOrEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
