package auth

// Role is a user's place in the hierarchy user < moderator < admin.
type Role string

// The roles, lowest first.
const (
	RoleUser      Role = "user"
	RoleModerator Role = "moderator"
	RoleAdmin     Role = "admin"
)

// ParseRole accepts exactly the lower-case role names.
func ParseRole(s string) (Role, bool) {
	switch r := Role(s); r {
	case RoleUser, RoleModerator, RoleAdmin:
		return r, true
	}
	return "", false
}

func (r Role) rank() int {
	switch r {
	case RoleUser:
		return 1
	case RoleModerator:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// AtLeast reports whether r is min or above it.
func (r Role) AtLeast(min Role) bool {
	return r.rank() >= min.rank() && r.rank() > 0
}

// canSee is the visibility rule of the API: a user sees only themselves; a
// moderator sees every account that is not an admin's, active or not (so a
// moderator who deactivated a user can reactivate them); an admin sees
// everyone.
func canSee(actor Principal, target User) bool {
	if actor.UserID == target.ID {
		return true
	}
	switch actor.Role {
	case RoleAdmin:
		return true
	case RoleModerator:
		return target.Role != RoleAdmin
	}
	return false
}

// canActOn is the acting rule: moderators act only on users of role user,
// admins on everyone.
func canActOn(actor Principal, target User) bool {
	switch actor.Role {
	case RoleAdmin:
		return true
	case RoleModerator:
		return target.Role == RoleUser
	}
	return false
}
