package httpapi

import (
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/auth"
)

// maxReasonLength bounds the free-text reason of a status change.
const maxReasonLength = 500

type profileRequest struct {
	Username      *string `json:"username"`
	Email         *string `json:"email"`
	EmailVerified *bool   `json:"email_verified"`
}

func (r *profileRequest) Rules() []Rule { return nil }

func (r *profileRequest) update() auth.ProfileUpdate {
	return auth.ProfileUpdate{Username: r.Username, Email: r.Email, EmailVerified: r.EmailVerified}
}

type passwordChangeRequest struct {
	CurrentPassword *string `json:"current_password"`
	NewPassword     *string `json:"new_password"`
}

func (r *passwordChangeRequest) Rules() []Rule {
	return []Rule{Required("current_password", r.CurrentPassword), Required("new_password", r.NewPassword)}
}

type deleteSelfRequest struct {
	Password     *string `json:"password"`
	Confirmation *string `json:"confirmation"`
}

func (r *deleteSelfRequest) Rules() []Rule {
	return []Rule{Required("password", r.Password), Required("confirmation", r.Confirmation)}
}

type statusRequest struct {
	IsActive *bool   `json:"is_active"`
	Reason   *string `json:"reason"`
}

func (r *statusRequest) Rules() []Rule {
	return []Rule{Required("is_active", r.IsActive)}
}

type resetPasswordRequest struct {
	NewPassword *string `json:"new_password"`
}

func (r *resetPasswordRequest) Rules() []Rule {
	return []Rule{Required("new_password", r.NewPassword)}
}

type createUserRequest struct {
	Username *string `json:"username"`
	Email    *string `json:"email"`
	Password *string `json:"password"`
	Role     *string `json:"role"`
}

func (r *createUserRequest) Rules() []Rule {
	return []Rule{Required("username", r.Username), Required("email", r.Email), Required("password", r.Password)}
}

type roleRequest struct {
	Role *string `json:"role"`
}

func (r *roleRequest) Rules() []Rule {
	return []Rule{Required("role", r.Role)}
}

type deleteUserRequest struct {
	HardDelete *bool `json:"hard_delete"`
}

func (r *deleteUserRequest) Rules() []Rule { return nil }

func (s *Server) handleGetOwnProfile(c *gin.Context) error {
	p := Principal(c)
	u, err := s.Auth.GetUser(c.Request.Context(), p, p.UserID)
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, u, "")
	return nil
}

func (s *Server) handleUpdateOwnProfile(c *gin.Context) error {
	var in profileRequest
	if err := BindBody(c, &in); err != nil {
		return err
	}
	// email_verified is not the user's to set; the service ignores it here.
	u, err := s.Auth.UpdateOwnProfile(c.Request.Context(), Principal(c), in.update())
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, u, "Profile updated")
	return nil
}

func (s *Server) handleChangePassword(c *gin.Context) error {
	var in passwordChangeRequest
	if err := BindBody(c, &in); err != nil {
		return err
	}
	if err := s.Auth.ChangePassword(c.Request.Context(), Principal(c), *in.CurrentPassword, *in.NewPassword); err != nil {
		return err
	}
	OK(c, http.StatusOK, nil, "Password changed; your other sessions were ended")
	return nil
}

func (s *Server) handleDeleteSelf(c *gin.Context) error {
	var in deleteSelfRequest
	if err := BindBody(c, &in); err != nil {
		return err
	}
	if err := s.Auth.DeleteSelf(c.Request.Context(), Principal(c), *in.Password, *in.Confirmation); err != nil {
		return err
	}
	OK(c, http.StatusOK, nil, "Account deleted")
	return nil
}

func (s *Server) handleGetUser(c *gin.Context) error {
	id, err := IDParam(c)
	if err != nil {
		return err
	}
	u, err := s.Auth.GetUser(c.Request.Context(), Principal(c), id)
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, u, "")
	return nil
}

func (s *Server) handleListUsers(c *gin.Context) error {
	opts, err := listOptions(c)
	if err != nil {
		return err
	}
	users, err := s.Auth.ListUsers(c.Request.Context(), Principal(c), opts)
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, users, "")
	return nil
}

func (s *Server) handleSetStatus(c *gin.Context) error {
	id, err := IDParam(c)
	if err != nil {
		return err
	}
	var in statusRequest
	if err := BindBody(c, &in); err != nil {
		return err
	}
	reason := stringOrEmpty(in.Reason)
	if utf8.RuneCountInString(reason) > maxReasonLength {
		return apperr.Validation("reason", "Reason must be at most 500 characters")
	}
	msg := "User deactivated"
	if *in.IsActive {
		msg = "User activated"
	}
	u, err := s.Auth.SetStatus(c.Request.Context(), Principal(c), id, *in.IsActive, reason)
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, u, msg)
	return nil
}

func (s *Server) handleResetPassword(c *gin.Context) error {
	id, err := IDParam(c)
	if err != nil {
		return err
	}
	var in resetPasswordRequest
	if err := BindBody(c, &in); err != nil {
		return err
	}
	if err := s.Auth.ResetPassword(c.Request.Context(), Principal(c), id, *in.NewPassword); err != nil {
		return err
	}
	OK(c, http.StatusOK, nil, "Password reset; the user's sessions were ended")
	return nil
}

func (s *Server) handleCreateUser(c *gin.Context) error {
	var in createUserRequest
	if err := BindBody(c, &in); err != nil {
		return err
	}
	role := auth.RoleUser
	if in.Role != nil {
		var ok bool
		if role, ok = auth.ParseRole(*in.Role); !ok {
			return errBadRole
		}
	}
	u, err := s.Auth.CreateUser(c.Request.Context(), Principal(c), auth.CreateUserInput{
		Username: *in.Username, Email: *in.Email, Password: *in.Password, Role: role,
	})
	if err != nil {
		return err
	}
	OK(c, http.StatusCreated, u, "User created")
	return nil
}

func (s *Server) handleUpdateProfile(c *gin.Context) error {
	id, err := IDParam(c)
	if err != nil {
		return err
	}
	var in profileRequest
	if err := BindBody(c, &in); err != nil {
		return err
	}
	u, err := s.Auth.UpdateProfile(c.Request.Context(), Principal(c), id, in.update())
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, u, "Profile updated")
	return nil
}

var errBadRole = apperr.Validation("role", "Role must be one of: user, moderator, admin")

func (s *Server) handleSetRole(c *gin.Context) error {
	id, err := IDParam(c)
	if err != nil {
		return err
	}
	var in roleRequest
	if err := BindBody(c, &in); err != nil {
		return err
	}
	role, ok := auth.ParseRole(*in.Role)
	if !ok {
		return errBadRole
	}
	u, err := s.Auth.SetRole(c.Request.Context(), Principal(c), id, role)
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, u, "Role updated")
	return nil
}

func (s *Server) handleDeleteUser(c *gin.Context) error {
	id, err := IDParam(c)
	if err != nil {
		return err
	}
	var in deleteUserRequest
	// The body is optional: without one the delete is soft.
	if c.Request.ContentLength != 0 {
		if err := BindBody(c, &in); err != nil {
			return err
		}
	}
	hard := in.HardDelete != nil && *in.HardDelete
	if err := s.Auth.DeleteUser(c.Request.Context(), Principal(c), id, hard); err != nil {
		return err
	}
	OK(c, http.StatusOK, nil, "User deleted")
	return nil
}

func (s *Server) handleUserStats(c *gin.Context) error {
	st, err := s.Auth.Stats(c.Request.Context())
	if err != nil {
		return err
	}
	OK(c, http.StatusOK, st, "")
	return nil
}

// listOptions reads limit (1–100, default 50), offset (≥ 0) and
// include_inactive (a boolean).
func listOptions(c *gin.Context) (auth.ListOptions, error) {
	var opts auth.ListOptions
	var err error
	if opts.Limit, opts.Offset, err = Page(c); err != nil {
		return opts, err
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
