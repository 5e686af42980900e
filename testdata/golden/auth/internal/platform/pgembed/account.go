package pgembed

// account is who runs initdb and postgres, and so whom the directories of a cluster belong to:
// this process's user, or on Unix an unprivileged user when this process is root (PostgreSQL
// refuses to run as root).
type account struct {
	// switchUser is true when initdb and postgres run as uid/gid instead of this process's user.
	switchUser bool
	// uid and gid are the Unix ids of the account; -1 on Windows.
	uid, gid int
	// id names the account's own directories (pgembed-<id>): the uid on Unix, the SID on Windows.
	id string
}
