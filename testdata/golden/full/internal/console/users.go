package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"example.com/demo/internal/apperr"
	"example.com/demo/internal/auth"
)

// The users pages are the admins': every action goes through auth.Service
// with the caller as actor, so the API's rules hold here too (no acting on
// oneself through them, the last active admin kept, sessions ended).

const usersPage = 50

type usersView struct {
	Users    []auth.User
	Query    string
	Inactive bool
	Offset   int
	Next     int
	Prev     int
}

func (cs *Console) handleUsers(c *gin.Context) error {
	offset, _ := strconv.Atoi(c.Query("offset"))
	offset = max(offset, 0)
	v := usersView{Query: strings.TrimSpace(c.Query("q")), Inactive: c.Query("inactive") == "on", Offset: offset}
	users, err := cs.auth.ListUsers(c.Request.Context(), principal(c), auth.ListOptions{
		Limit: usersPage + 1, Offset: offset, IncludeInactive: v.Inactive, Search: v.Query})
	if err != nil {
		return err
	}
	v.Prev, v.Next = -1, -1
	if len(users) > usersPage {
		users, v.Next = users[:usersPage], offset+usersPage
	}
	if offset > 0 {
		v.Prev = max(offset-usersPage, 0)
	}
	v.Users = users
	cs.render(c, http.StatusOK, "users", "Users", v)
	return nil
}

type userView struct {
	User  auth.User
	Self  bool
	Roles []auth.Role
}

func (cs *Console) handleUser(c *gin.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	u, err := cs.auth.GetUser(c.Request.Context(), principal(c), id)
	if err != nil {
		return err
	}
	cs.render(c, http.StatusOK, "user", u.Username, userView{User: u, Self: u.ID == principal(c).UserID,
		Roles: []auth.Role{auth.RoleUser, auth.RoleModerator, auth.RoleAdmin}})
	return nil
}

func userID(c *gin.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return uuid.UUID{}, apperr.NotFound("User")
	}
	return id, nil
}

func (cs *Console) handleSetRole(c *gin.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	role, ok := auth.ParseRole(c.PostForm("role"))
	if !ok {
		return apperr.Validation("role", "Role must be one of user, moderator, admin")
	}
	if !cs.confirmed(c, "Make this account "+string(role)+"?") {
		return nil
	}
	if _, err := cs.auth.SetRole(c.Request.Context(), principal(c), id, role); err != nil {
		return err
	}
	cs.done(c, "/console/users/"+id.String(), "Role changed to "+string(role))
	return nil
}

func (cs *Console) handleSetStatus(c *gin.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	active := c.PostForm("active") == "true"
	question, message := "Deactivate this account? Its sessions end at once.", "Account deactivated"
	if active {
		question, message = "Activate this account again?", "Account activated"
	}
	if !cs.confirmed(c, question) {
		return nil
	}
	if _, err := cs.auth.SetStatus(c.Request.Context(), principal(c), id, active, c.PostForm("reason")); err != nil {
		return err
	}
	cs.done(c, "/console/users/"+id.String(), message)
	return nil
}

func (cs *Console) handleResetPassword(c *gin.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	if !cs.confirmed(c, "Set this account's password? Its sessions end at once.") {
		return nil
	}
	if err := cs.auth.ResetPassword(c.Request.Context(), principal(c), id, c.PostForm("new_password")); err != nil {
		return err
	}
	cs.done(c, "/console/users/"+id.String(), "Password set; the account's sessions were ended")
	return nil
}
