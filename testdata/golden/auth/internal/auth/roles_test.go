package auth

import (
	"testing"

	"github.com/google/uuid"
)

func TestParseRole(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"user", "moderator", "admin"} {
		if r, ok := ParseRole(s); !ok || string(r) != s {
			t.Errorf("ParseRole(%q) = %q, %v", s, r, ok)
		}
	}
	for _, s := range []string{"", "Admin", "ADMIN", "root", " user", "moderator "} {
		if _, ok := ParseRole(s); ok {
			t.Errorf("ParseRole(%q) accepted", s)
		}
	}
}

func TestRoleAtLeast(t *testing.T) {
	t.Parallel()
	order := []Role{RoleUser, RoleModerator, RoleAdmin}
	for i, r := range order {
		for j, min := range order {
			if got := r.AtLeast(min); got != (i >= j) {
				t.Errorf("%s.AtLeast(%s) = %v", r, min, got)
			}
		}
	}
	if Role("root").AtLeast(RoleUser) {
		t.Error("an unknown role passed AtLeast")
	}
}

func TestVisibilityAndActing(t *testing.T) {
	t.Parallel()
	self := uuid.New()
	user := func(r Role, active bool) User { return User{ID: uuid.New(), Role: r, IsActive: active} }
	tests := []struct {
		actor  Role
		target User
		see    bool
		act    bool
	}{
		{RoleUser, user(RoleUser, true), false, false},
		{RoleUser, User{ID: self, Role: RoleUser, IsActive: true}, true, false},
		{RoleModerator, user(RoleUser, true), true, true},
		{RoleModerator, user(RoleUser, false), true, true},
		{RoleModerator, user(RoleModerator, true), true, false},
		{RoleModerator, user(RoleModerator, false), true, false},
		{RoleModerator, user(RoleAdmin, true), false, false},
		{RoleModerator, user(RoleAdmin, false), false, false},
		{RoleModerator, User{ID: self, Role: RoleModerator, IsActive: true}, true, false},
		{RoleAdmin, user(RoleAdmin, true), true, true},
		{RoleAdmin, user(RoleModerator, false), true, true},
		{RoleAdmin, user(RoleUser, false), true, true},
	}
	for i, tt := range tests {
		actor := Principal{UserID: self, Role: tt.actor}
		if got := canSee(actor, tt.target); got != tt.see {
			t.Errorf("%d: %s canSee %s(active=%v) = %v", i, tt.actor, tt.target.Role, tt.target.IsActive, got)
		}
		if got := canActOn(actor, tt.target); got != tt.act {
			t.Errorf("%d: %s canActOn %s = %v", i, tt.actor, tt.target.Role, got)
		}
	}
}
