package pgembed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNoBouncer is returned by StartBouncer when the pgbouncer binary cannot be found; the error
// wrapping it says how to install it.
var ErrNoBouncer = errors.New("pgembed: pgbouncer not found")

// BouncerOptions configure StartBouncer. The zero value starts a PgBouncer in transaction mode on
// a free port.
type BouncerOptions struct {
	// PoolMode is PgBouncer's pool_mode: transaction (default), session or statement.
	PoolMode string

	// Port is the TCP port on 127.0.0.1. Default: 0, a free port picked at start.
	Port int

	// Binary is the pgbouncer executable. Default: pgbouncer on PATH, else where packages put it
	// (/usr/sbin on Debian and Ubuntu, /usr/local/bin, /opt/homebrew/bin).
	Binary string

	// TempDir is where its directory is made, as for a throw-away cluster (Options.TempDir).
	TempDir string

	// Settings are extra [pgbouncer] settings (name → value), applied after this package's
	// defaults. Default: none.
	Settings map[string]string

	// Log receives PgBouncer's log. Default: nil, discarded; StartBouncer's errors include the
	// last lines either way.
	Log io.Writer
}

// Bouncer is a running PgBouncer started by StartBouncer, in front of one PostgreSQL server.
type Bouncer struct {
	// Port is the TCP port on 127.0.0.1.
	Port int

	user, password string
	runDir         string
	proc           *child
	log            *tail

	stopOnce sync.Once
	stopErr  error
}

// StartBouncer starts a PgBouncer in front of the server of upstream, a DSN with its user and
// password (such as Server.DSN gives), and waits until it accepts connections. Every database of
// that server is reachable through it by name (a wildcard [databases] entry, so databases made
// later, such as a test's clone, need no reload); clients log in with the DSN's user and password,
// checked with scram-sha-256, and PgBouncer logs in to the server with them. As root it runs as
// the unprivileged user, like postgres (PgBouncer refuses root too). ctx bounds the start only:
// it runs until Stop or until this process ends.
func StartBouncer(ctx context.Context, upstream string, opts BouncerOptions) (*Bouncer, error) {
	up, err := pgconn.ParseConfig(upstream)
	if err != nil {
		return nil, fmt.Errorf("pgembed: bouncer: upstream: %w", err)
	}
	bin, err := findBouncer(opts.Binary)
	if err != nil {
		return nil, err
	}
	acct, err := currentAccount()
	if err != nil {
		return nil, err
	}
	b := &Bouncer{user: up.User, password: up.Password, log: newTail(opts.Log)}
	if b.runDir, _, err = makeRunDir(ctx, opts.TempDir, acct); err != nil {
		return nil, errors.Join(err, b.removeRunDir())
	}
	if err := b.launch(ctx, opts, bin, up, acct); err != nil {
		return nil, errors.Join(err, b.removeRunDir())
	}
	return b, nil
}

// launch writes the configuration and starts pgbouncer, on another free port when the chosen one
// was taken meanwhile.
func (b *Bouncer) launch(ctx context.Context, opts BouncerOptions, bin string, up *pgconn.Config, acct account) error {
	if err := b.writeFile(acct, "userlist.txt", quote(b.user)+" "+quote(b.password)+"\n"); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		port, err := pickPort(opts.Port)
		if err != nil {
			return err
		}
		if err := b.writeFile(acct, "pgbouncer.ini", b.config(opts, up, port)); err != nil {
			return err
		}
		err = b.startOnce(ctx, bin, port, acct)
		if err == nil || opts.Port != 0 || attempt == 4 || !strings.Contains(b.log.String(), "Address already in use") {
			return err
		}
	}
}

func (b *Bouncer) startOnce(ctx context.Context, bin string, port int, acct account) error {
	b.log.reset()
	proc, err := startChild(bin, []string{filepath.Join(b.runDir, "pgbouncer.ini")}, b.runDir, acct, stopKill, nil, b.log)
	if err != nil {
		return fmt.Errorf("pgembed: start pgbouncer: %w", err)
	}
	if err := waitListening(ctx, port, proc); err != nil {
		proc.kill()
		return fmt.Errorf("pgembed: start pgbouncer: %w\n%s", err, b.log.String())
	}
	b.proc, b.Port = proc, port
	return nil
}

// config is pgbouncer.ini: defaults for tests and development, then opts.Settings.
func (b *Bouncer) config(opts BouncerOptions, up *pgconn.Config, port int) string {
	set := map[string]string{
		"listen_addr": "127.0.0.1",
		"listen_port": strconv.Itoa(port),
		// No Unix socket: like the server, TCP on the loopback only.
		"unix_socket_dir": "",
		"auth_type":       "scram-sha-256",
		"auth_file":       filepath.Join(b.runDir, "userlist.txt"),
		"pool_mode":       "transaction",
		// Parallel tests each hold a pool of clients; every database gets its own server pool.
		"max_client_conn":   "2000",
		"default_pool_size": "20",
		// A server that refused a login (restarting) is tried again after a second, not 15.
		"server_login_retry": "1",
		"log_connections":    "0",
		"log_disconnections": "0",
		// The upstream user may use the admin console (database pgbouncer): a test harness
		// asks it there to let go of a database's server connections before dropping it.
		"admin_users": b.user,
	}
	if opts.PoolMode != "" {
		set["pool_mode"] = opts.PoolMode
	}
	for k, v := range opts.Settings {
		set[k] = v
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "[databases]\n* = host=%s port=%d\n\n[pgbouncer]\n", up.Host, up.Port)
	for _, k := range sortedKeys(set) {
		fmt.Fprintf(&sb, "%s = %s\n", k, set[k])
	}
	return sb.String()
}

// writeFile writes a file of the run directory that only the account reads.
func (b *Bouncer) writeFile(acct account, name, content string) error {
	path := filepath.Join(b.runDir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("pgembed: bouncer: %w", err)
	}
	return acct.own(path)
}

// quote is a string of PgBouncer's auth_file: in double quotes, a double quote doubled.
func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// waitListening waits until the port accepts connections or the process exits.
func waitListening(ctx context.Context, port int, c *child) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	d := net.Dialer{Timeout: time.Second}
	for {
		if conn, err := d.DialContext(ctx, "tcp", addr); err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("pgbouncer exited: %w", c.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// DSN returns a connection URL for database dbname through the bouncer, as the upstream DSN's
// user, password included.
func (b *Bouncer) DSN(dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(b.user, b.password),
		Host:     "127.0.0.1:" + strconv.Itoa(b.Port),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Exited reports whether PgBouncer has exited, and if so the last lines of its log, which say why.
func (b *Bouncer) Exited() (exited bool, log string) {
	select {
	case <-b.proc.done:
		return true, b.log.String()
	default:
		return false, ""
	}
}

// Stop ends PgBouncer (it keeps nothing worth a clean shutdown) and removes its directory.
// Calling Stop again returns the first result.
func (b *Bouncer) Stop(ctx context.Context) error {
	b.stopOnce.Do(func() {
		if err := b.proc.stop(stopKill); err != nil && !errors.Is(err, os.ErrProcessDone) {
			b.stopErr = fmt.Errorf("pgembed: stop pgbouncer: %w", err)
		}
		select {
		case <-b.proc.done:
		case <-ctx.Done():
		}
		b.stopErr = errors.Join(b.stopErr, b.removeRunDir())
	})
	return b.stopErr
}

func (b *Bouncer) removeRunDir() error {
	if b.runDir == "" {
		return nil
	}
	if err := removeAll(b.runDir); err != nil {
		return fmt.Errorf("pgembed: remove %s: %w", b.runDir, err)
	}
	return nil
}

// bouncerPaths are where packages install pgbouncer off a user's PATH.
var bouncerPaths = []string{"/usr/sbin/pgbouncer", "/usr/local/sbin/pgbouncer", "/usr/local/bin/pgbouncer", //nolint:gochecknoglobals // a table that is never written
	"/opt/homebrew/bin/pgbouncer"}

// findBouncer returns the pgbouncer executable: bin when given, else on PATH, else bouncerPaths.
func findBouncer(bin string) (string, error) {
	if bin != "" {
		if !isExecutable(bin) {
			return "", fmt.Errorf("%w: %s is not an executable", ErrNoBouncer, bin)
		}
		return bin, nil
	}
	if p, err := exec.LookPath("pgbouncer" + hostLayout().exe); err == nil {
		return p, nil
	}
	for _, p := range bouncerPaths {
		if isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w on PATH or in %s: install it (apt-get install pgbouncer, brew install pgbouncer, "+
		"dnf install pgbouncer)", ErrNoBouncer, strings.Join(bouncerPaths, ", "))
}
