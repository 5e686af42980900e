package httpapi

import (
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/starter-go/starter/templates/project/internal/apperr"
	"github.com/starter-go/starter/templates/project/internal/auth"
)

// maxReasonLength bounds the free-text reason of a status change.
const maxReasonLength = 500

type profileRequest struct {
	Username      *string `json:"username"`
	Email         *string `json:"email"`
	EmailVerified *bool   `json:"email_verified"`
}

func (r *profileRequest) requiredFields() []fieldPresence { return nil }

func (r *profileRequest) update() auth.ProfileUpdate {
	return auth.ProfileUpdate{Username: r.Username, Email: r.Email, EmailVerified: r.EmailVerified}
}

type passwordChangeRequest struct {
	CurrentPassword *string `json:"current_password"`
	NewPassword     *string `json:"new_password"`
}

func (r *passwordChangeRequest) requiredFields() []fieldPresence {
	return []fieldPresence{present("current_password", r.CurrentPassword), present("new_password", r.NewPassword)}
}

type deleteSelfRequest struct {
	Password     *string `json:"password"`
	Confirmation *string `json:"confirmation"`
}

func (r *deleteSelfRequest) requiredFields() []fieldPresence {
	return []fieldPresence{present("password", r.Password), present("confirmation", r.Confirmation)}
}

type statusRequest struct {
	IsActive *bool   `json:"is_active"`
	Reason   *string `json:"reason"`
}

func (r *statusRequest) requiredFields() []fieldPresence {
	return []fieldPresence{present("is_active", r.IsActive)}
}

type resetPasswordRequest struct {
	NewPassword *string `json:"new_password"`
}

func (r *resetPasswordRequest) requiredFields() []fieldPresence {
	return []fieldPresence{present("new_password", r.NewPassword)}
}

type createUserRequest struct {
	Username *string `json:"username"`
	Email    *string `json:"email"`
	Password *string `json:"password"`
	Role     *string `json:"role"`
}

func (r *createUserRequest) requiredFields() []fieldPresence {
	return []fieldPresence{present("username", r.Username), present("email", r.Email), present("password", r.Password)}
}

type roleRequest struct {
	Role *string `json:"role"`
}

func (r *roleRequest) requiredFields() []fieldPresence {
	return []fieldPresence{present("role", r.Role)}
}

type deleteUserRequest struct {
	HardDelete *bool `json:"hard_delete"`
}

func (r *deleteUserRequest) requiredFields() []fieldPresence { return nil }

func (s *Server) handleGetOwnProfile(c *gin.Context) {
	p := principal(c)
	s.respondUser(c, http.StatusOK, "")(s.Auth.GetUser(c.Request.Context(), p, p.UserID))
}

func (s *Server) handleUpdateOwnProfile(c *gin.Context) {
	var in profileRequest
	if !bindBody(c, &in) {
		return
	}
	// email_verified is not the user's to set; the service ignores it here.
	s.respondUser(c, http.StatusOK, "Profile updated")(s.Auth.UpdateOwnProfile(c.Request.Context(), principal(c), in.update()))
}

func (s *Server) handleChangePassword(c *gin.Context) {
	var in passwordChangeRequest
	if !bindBody(c, &in) {
		return
	}
	err := s.Auth.ChangePassword(c.Request.Context(), principal(c), *in.CurrentPassword, *in.NewPassword)
	s.respondDone(c, err, "Password changed; your other sessions were ended")
}

func (s *Server) handleDeleteSelf(c *gin.Context) {
	var in deleteSelfRequest
	if !bindBody(c, &in) {
		return
	}
	err := s.Auth.DeleteSelf(c.Request.Context(), principal(c), *in.Password, *in.Confirmation)
	s.respondDone(c, err, "Account deleted")
}

func (s *Server) handleGetUser(c *gin.Context) {
	id, ok := userIDParam(c)
	if !ok {
		return
	}
	s.respondUser(c, http.StatusOK, "")(s.Auth.GetUser(c.Request.Context(), principal(c), id))
}

func (s *Server) handleListUsers(c *gin.Context) {
	opts, err := listOptions(c)
	if err != nil {
		WriteError(c, err)
		return
	}
	users, err := s.Auth.ListUsers(c.Request.Context(), principal(c), opts)
	if err != nil {
		WriteError(c, err)
		return
	}
	OK(c, http.StatusOK, users, "")
}

func (s *Server) handleSetStatus(c *gin.Context) {
	id, ok := userIDParam(c)
	var in statusRequest
	if !ok || !bindBody(c, &in) {
		return
	}
	reason := stringOrEmpty(in.Reason)
	if utf8.RuneCountInString(reason) > maxReasonLength {
		WriteError(c, apperr.Validation("reason", "Reason must be at most 500 characters"))
		return
	}
	msg := "User deactivated"
	if *in.IsActive {
		msg = "User activated"
	}
	s.respondUser(c, http.StatusOK, msg)(s.Auth.SetStatus(c.Request.Context(), principal(c), id, *in.IsActive, reason))
}

func (s *Server) handleResetPassword(c *gin.Context) {
	id, ok := userIDParam(c)
	var in resetPasswordRequest
	if !ok || !bindBody(c, &in) {
		return
	}
	err := s.Auth.ResetPassword(c.Request.Context(), principal(c), id, *in.NewPassword)
	s.respondDone(c, err, "Password reset; the user's sessions were ended")
}

func (s *Server) handleCreateUser(c *gin.Context) {
	var in createUserRequest
	if !bindBody(c, &in) {
		return
	}
	role := auth.RoleUser
	if in.Role != nil {
		var ok bool
		if role, ok = auth.ParseRole(*in.Role); !ok {
			WriteError(c, errBadRole)
			return
		}
	}
	u, err := s.Auth.CreateUser(c.Request.Context(), principal(c), auth.CreateUserInput{
		Username: *in.Username, Email: *in.Email, Password: *in.Password, Role: role,
	})
	s.respondUser(c, http.StatusCreated, "User created")(u, err)
}

func (s *Server) handleUpdateProfile(c *gin.Context) {
	id, ok := userIDParam(c)
	var in profileRequest
	if !ok || !bindBody(c, &in) {
		return
	}
	s.respondUser(c, http.StatusOK, "Profile updated")(s.Auth.UpdateProfile(c.Request.Context(), principal(c), id, in.update()))
}

var errBadRole = apperr.Validation("role", "Role must be one of: user, moderator, admin")

func (s *Server) handleSetRole(c *gin.Context) {
	id, ok := userIDParam(c)
	var in roleRequest
	if !ok || !bindBody(c, &in) {
		return
	}
	role, ok := auth.ParseRole(*in.Role)
	if !ok {
		WriteError(c, errBadRole)
		return
	}
	s.respondUser(c, http.StatusOK, "Role updated")(s.Auth.SetRole(c.Request.Context(), principal(c), id, role))
}

func (s *Server) handleDeleteUser(c *gin.Context) {
	id, ok := userIDParam(c)
	if !ok {
		return
	}
	var in deleteUserRequest
	// The body is optional: without one the delete is soft.
	if c.Request.ContentLength != 0 && !bindBody(c, &in) {
		return
	}
	hard := in.HardDelete != nil && *in.HardDelete
	err := s.Auth.DeleteUser(c.Request.Context(), principal(c), id, hard)
	s.respondDone(c, err, "User deleted")
}

func (s *Server) handleUserStats(c *gin.Context) {
	st, err := s.Auth.Stats(c.Request.Context())
	if err != nil {
		WriteError(c, err)
		return
	}
	OK(c, http.StatusOK, st, "")
}

// respondUser returns a writer for a (user, error) result.
func (s *Server) respondUser(c *gin.Context, status int, message string) func(auth.User, error) {
	return func(u auth.User, err error) {
		if err != nil {
			WriteError(c, err)
			return
		}
		OK(c, status, u, message)
	}
}

// respondDone writes err, or a success without data.
func (s *Server) respondDone(c *gin.Context, err error, message string) {
	if err != nil {
		WriteError(c, err)
		return
	}
	OK(c, http.StatusOK, nil, message)
}

// userIDParam parses the :id path parameter; a non-UUID is 400 INVALID_QUERY.
func userIDParam(c *gin.Context) (uuid.UUID, bool) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil || len(c.Param("id")) != 36 {
		WriteError(c, apperr.InvalidQuery("id", "must be a UUID"))
		return uuid.UUID{}, false
	}
	return id, true
}

// listOptions reads limit (1–100, default 50), offset (≥ 0) and
// include_inactive (a boolean).
func listOptions(c *gin.Context) (auth.ListOptions, error) {
	opts := auth.ListOptions{Limit: 50}
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return opts, apperr.InvalidQuery("limit", "must be an integer from 1 to 100")
		}
		opts.Limit = n
	}
	if v, ok := c.GetQuery("offset"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return opts, apperr.InvalidQuery("offset", "must be an integer of at least 0")
		}
		opts.Offset = n
	}
	if v, ok := c.GetQuery("include_inactive"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return opts, apperr.InvalidQuery("include_inactive", "must be true or false")
		}
		opts.IncludeInactive = b
	}
	return opts, nil
}
