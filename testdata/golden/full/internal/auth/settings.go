package auth

import (
	"runtime"
	"time"
)

// Settings tune the auth service. The zero value is valid: every zero field
// takes the default documented on it.
type Settings struct {
	// SessionLifetime is how long a session lasts after login or refresh.
	// Default 24 h.
	SessionLifetime time.Duration
	// SessionIdleTimeout ends sessions unused for longer; such sessions are
	// refused and removed on the owner's next login. Default 30 days.
	SessionIdleTimeout time.Duration
	// RefreshInterval is the minimum time between two refreshes of one session.
	// Default 5 minutes.
	RefreshInterval time.Duration
	// ActivityInterval throttles writes of sessions.last_activity_at: at most
	// one per session per interval. Default 1 minute.
	ActivityInterval time.Duration
	// CacheTTL is how long a resolved token is served from memory. Logout and
	// every user change in this process invalidate the cache at once, other
	// instances within a second through the revocation listener, without
	// which the cache is not used. Default 5 s; negative disables the cache.
	CacheTTL time.Duration
	// CleanupInterval is the period of the removal of expired sessions and
	// of the rate-limit counts of closed windows, done by one instance of
	// those sharing the database. Default 10 minutes.
	CleanupInterval time.Duration

	// The rate limits below count in the database, across every instance.
	//
	// LoginAccountFailures failed logins of one account within
	// LoginAccountWindow lock that account's logins for the rest of the
	// window. Defaults 5 and 15 minutes.
	LoginAccountFailures int
	LoginAccountWindow   time.Duration
	// LoginIPFailures failed logins from one client IP within LoginIPWindow
	// block logins from that IP for the rest of the window. Defaults 50 and
	// 15 minutes.
	LoginIPFailures int
	LoginIPWindow   time.Duration
	// IPRequests login, register and refresh requests from one client IP
	// within IPRequestWindow are allowed. Defaults 600 and 1 minute.
	IPRequests      int
	IPRequestWindow time.Duration

	// Hash holds the argon2id parameters of new password hashes. Default
	// m=19456 KiB, t=2, p=1 (OWASP's recommendation); hashes already stored
	// keep the parameters written in their PHC string.
	Hash HashParams
	// HashConcurrency is how many argon2id hashes and verifications run at
	// once; the others wait for a slot. Memory for hashing stays under
	// HashConcurrency × Hash.MemoryKiB whatever the load. Default GOMAXPROCS.
	HashConcurrency int

	// RevocationHeartbeat is how often the revocation listener pings its
	// connection when no notification came (or the poller polls, behind a
	// transaction pooler); each answer lets the token cache serve entries
	// for three heartbeats after it was asked. So a revocation made on
	// another instance is honoured within three heartbeats, whatever
	// happens to the connection: under the second the API allows with the
	// default, 250 ms; keep it at most a third of that. Tests shorten it.
	RevocationHeartbeat time.Duration

	// Now is the clock. Default time.Now; tests inject their own.
	Now func() time.Time
}

// revocationLease is how long after a heartbeat (or poll) was sent its
// answer lets the token cache serve entries: two heartbeats may go missing
// before the cache is bypassed.
func (s Settings) revocationLease() time.Duration { return 3 * s.RevocationHeartbeat }

func (s Settings) withDefaults() Settings {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defInt := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	def(&s.SessionLifetime, 24*time.Hour)
	def(&s.SessionIdleTimeout, 30*24*time.Hour)
	def(&s.RefreshInterval, 5*time.Minute)
	def(&s.ActivityInterval, time.Minute)
	def(&s.CacheTTL, 5*time.Second)
	def(&s.CleanupInterval, 10*time.Minute)
	defInt(&s.LoginAccountFailures, 5)
	def(&s.LoginAccountWindow, 15*time.Minute)
	defInt(&s.LoginIPFailures, 50)
	def(&s.LoginIPWindow, 15*time.Minute)
	defInt(&s.IPRequests, 600)
	def(&s.IPRequestWindow, time.Minute)
	def(&s.RevocationHeartbeat, 250*time.Millisecond)
	defInt(&s.HashConcurrency, runtime.GOMAXPROCS(0))
	s.Hash = s.Hash.withDefaults()
	if s.Now == nil {
		s.Now = time.Now
	}
	return s
}
