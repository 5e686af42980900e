// Package pgembed starts a PostgreSQL server from the binaries installed on the machine, so a
// service and its tests need no database set up by hand. It runs on Linux, macOS and Windows.
//
// Finding the binaries: Options.BinDir, else the directory of postgres on PATH, else where each
// platform's installers put them (Debian and Ubuntu /usr/lib/postgresql/*/bin, Fedora and RHEL
// /usr/pgsql-*/bin, Homebrew /opt/homebrew/opt/postgresql@*/bin and /usr/local/opt/postgresql@*/bin,
// Postgres.app, C:\Program Files\PostgreSQL\*\bin), the highest version first. [ErrNoBinaries]
// says how to install them on the platform at hand.
//
// Two kinds of cluster:
//
//   - Throw-away (Options.DataDir empty): made in a fresh directory under Options.TempDir (on Linux
//     /dev/shm when it has room, because cloning a database on tmpfs takes a few milliseconds where
//     a disk takes tens to hundreds; else the temporary directory), tuned for tests (fsync,
//     synchronous_commit and full_page_writes off, autovacuum off, many connections) and removed by
//     Stop. A directory left behind by a process that was killed is removed by the next Start.
//     initdb takes about two seconds, so its output is cached and copied, in tens of milliseconds,
//     by later starts.
//   - Persistent (Options.DataDir set): initdb on first use, kept across runs, default durability.
//     Meant for a service's `serve` in development. [Inspect] and [Remove] find and delete it.
//
// Who may connect: the server listens on 127.0.0.1 only (no Unix socket), on Options.Port or a
// free port, and requires the password of the superuser role "postgres" ([User]) with
// scram-sha-256 from every client. The password is random and kept, mode 0600, in the data
// directory (pgembed.password); [Server.DSN] carries it.
//
// Whose directories: throw-away clusters and the cache live in a directory of the account's own,
// pgembed-<uid> (the SID on Windows) in the temporary directory, created private (0700; a DACL of
// the user alone on Windows) and checked before every use with Lstat: a directory that is a link,
// belongs to someone else or others can open is refused with an error saying what to remove, and
// only directories and regular files of the account are copied from the cache, never through a
// link. Another user cannot plant a cluster or a cache this package would start or copy.
//
// No server outlives its owner, the process that called Start, even after kill -9: on Linux the
// postmaster gets a parent-death signal; on macOS a watchdog process stops it when the owner is
// gone; on Windows it runs in a job object that kills it when the owner's handle closes. Should one
// survive anyway, the next Start in its directory stops it (a server whose owner is alive is in
// use: an error) and removes a stale postmaster.pid.
//
// Running as root (Unix): PostgreSQL refuses to run as root, so initdb and postgres run as the user
// "postgres" (else "nobody"), whose directory pgembed-<uid> is used. That user must reach the data
// directory, which a directory under /root or inside a private temporary directory is not. So, as
// root, a persistent cluster does not live in Options.DataDir itself but in
// /var/tmp/pgembed-<uid>/data-<12 hex digits of SHA-256 of the absolute DataDir>; the same project
// therefore finds the same data on every run, and [Server.DataDir] reports the directory actually
// used. Options.DataDir is still created, with a LOCATION file naming the real directory; when it
// disappears (the project or a test's temporary directory deleted), the next persistent Start as
// root removes the cluster. On Windows, PostgreSQL refuses an elevated process ("Run as
// administrator"), and so does Start.
package pgembed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// User is the superuser role of every cluster this package creates.
const User = "postgres"

// ErrNoBinaries is returned by Start when initdb and postgres cannot be found; the error wrapping
// it names where Start looked and how to install them.
var ErrNoBinaries = errors.New("pgembed: PostgreSQL server binaries (initdb, postgres) not found")

// Options configure Start. The zero value starts a throw-away test cluster on a free port.
type Options struct {
	// DataDir is the data directory of a persistent cluster, created by initdb when it holds no
	// cluster yet and kept by Stop. Default: empty, meaning a throw-away cluster removed by Stop.
	// As root the cluster lives elsewhere (see the package documentation).
	DataDir string

	// TempDir is where the account's directory for throw-away clusters is made. Default: on Linux
	// /dev/shm when it has 1 GiB free, else os.TempDir(); as root, /var/tmp if os.TempDir() is not
	// reachable by the unprivileged user.
	TempDir string

	// Port is the TCP port on 127.0.0.1. Default: 0, a free port picked at start (retried if another
	// process takes it first).
	Port int

	// BinDir is the directory holding initdb and postgres. Default: the directory of postgres found
	// on PATH, else the platform's usual install directories, highest version first.
	BinDir string

	// MaxConnections is max_connections. Default: 300 for a throw-away cluster (parallel tests each
	// hold a pool), 100 for a persistent one.
	MaxConnections int

	// Settings are extra server settings (name → value), applied after this package's defaults.
	// Default: none.
	Settings map[string]string

	// Log receives the server's log output. Default: nil, discarded; Start's errors include the
	// last lines either way.
	Log io.Writer
}

// Server is a running PostgreSQL started by Start.
type Server struct {
	// DataDir is the data directory actually used.
	DataDir string
	// Relocated is true when DataDir is not Options.DataDir (a persistent cluster started as root).
	Relocated bool
	// Port is the TCP port on 127.0.0.1.
	Port int

	throwAway bool
	acct      account
	password  string
	runDir    string // removed by Stop for a throw-away cluster
	ownerPath string // the file naming this process as the server's owner
	proc      *child
	log       *tail
	// opts and bin are what Start was given and found, for Resume.
	opts Options
	bin  string

	stopOnce sync.Once
	stopErr  error
}

// Start initialises the cluster when needed, starts postgres and waits until it accepts connections.
// ctx bounds the start only: the server runs until Stop or until this process ends.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, err := findBinDir(opts.BinDir)
	if err != nil {
		return nil, err
	}
	acct, err := currentAccount()
	if err != nil {
		return nil, err
	}
	s := &Server{throwAway: opts.DataDir == "", acct: acct, log: newTail(opts.Log), opts: opts, bin: bin}
	err = s.prepare(ctx, opts, bin)
	if err == nil {
		err = s.launch(ctx, opts, bin)
	}
	if err != nil {
		return nil, errors.Join(err, s.removeRunDir())
	}
	return s, nil
}

// prepare makes the data directory hold a cluster with a password and no server left running.
func (s *Server) prepare(ctx context.Context, opts Options, bin string) error {
	if s.throwAway {
		return s.prepareThrowAway(ctx, opts, bin)
	}
	return s.preparePersistent(ctx, opts, bin)
}

func (s *Server) prepareThrowAway(ctx context.Context, opts Options, bin string) error {
	var err error
	s.runDir, s.DataDir, err = makeRunDir(ctx, opts.TempDir, s.acct)
	if err != nil {
		return err
	}
	s.ownerPath = filepath.Join(s.runDir, ownerFile)
	if err := copyFromCache(ctx, bin, filepath.Dir(s.runDir), s.DataDir, s.acct, s.log); err != nil {
		return err
	}
	s.password, err = readPassword(s.DataDir, s.acct)
	return err
}

func (s *Server) preparePersistent(ctx context.Context, opts Options, bin string) error {
	var err error
	s.DataDir, s.Relocated, err = persistentDir(ctx, opts.DataDir, s.acct)
	if err != nil {
		return err
	}
	s.ownerPath = filepath.Join(s.DataDir, ownerFile)
	if err := clearStale(ctx, s.DataDir, s.ownerPath, s.acct); err != nil {
		return err
	}
	if _, err := os.Lstat(filepath.Join(s.DataDir, "PG_VERSION")); err != nil {
		if err := initCluster(ctx, bin, s.DataDir, false, s.acct, s.log); err != nil {
			return err
		}
	}
	if s.password, err = clusterPassword(ctx, bin, s.DataDir, s.acct, s.log); err != nil {
		return err
	}
	return writeOwner(s.ownerPath, s.acct)
}

// launch starts postgres, retrying on another free port when the chosen one was taken meanwhile.
func (s *Server) launch(ctx context.Context, opts Options, bin string) error {
	for attempt := 0; ; attempt++ {
		port, err := pickPort(opts.Port)
		if err != nil {
			return err
		}
		err = s.startOnce(ctx, opts, bin, port)
		if err == nil || opts.Port != 0 || attempt == 4 || !errors.Is(err, errPortTaken) {
			return err
		}
	}
}

func (s *Server) startOnce(ctx context.Context, opts Options, bin string, port int) error {
	args := append([]string{"-D", s.DataDir}, settingArgs(opts, s.throwAway, port)...)
	s.log.reset()
	proc, err := startChild(filepath.Join(bin, "postgres"+hostLayout().exe), args, s.DataDir, s.acct, s.shutdownMode(), nil, s.log)
	if err != nil {
		return fmt.Errorf("pgembed: start postgres: %w", err)
	}
	if err := waitReady(ctx, s.DataDir, proc); err != nil {
		proc.quit()
		return s.startError(err)
	}
	s.proc, s.Port = proc, port
	return nil
}

func (s *Server) startError(err error) error {
	logText := s.log.String()
	if containsAny(logText, "could not bind", "Address already in use", "could not create any TCP/IP sockets") {
		err = fmt.Errorf("%w: %w", errPortTaken, err)
	}
	return fmt.Errorf("pgembed: start postgres: %w\n%s", err, logText)
}

// shutdownMode is how the server stops, by Stop or when this process dies: at once for a
// throw-away cluster, cleanly (fast) for a persistent one.
func (s *Server) shutdownMode() stopMode {
	if s.throwAway {
		return stopImmediate
	}
	return stopFast
}

// DSN returns a connection URL for database dbname as the superuser, password included.
func (s *Server) DSN(dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(User, s.password),
		Host:     "127.0.0.1:" + strconv.Itoa(s.Port),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Password is the superuser's password, for clients configured field by field rather than by DSN.
func (s *Server) Password() string {
	return s.password
}

// PID is the process id of the postmaster.
func (s *Server) PID() int {
	return s.proc.cmd.Process.Pid
}

// CreateDatabase creates database name unless it exists.
func (s *Server) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("pgembed: create database %s: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err == nil && !exists {
		_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	}
	if err != nil {
		return fmt.Errorf("pgembed: create database %s: %w", name, err)
	}
	return nil
}

// Stop shuts the server down and waits until its processes are gone; for a throw-away cluster it
// then removes the directory. When ctx ends first, the server is killed. Calling Stop again returns
// the first result.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(ctx) })
	return s.stopErr
}

func (s *Server) stop(ctx context.Context) error {
	if err := s.proc.stop(s.shutdownMode()); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("pgembed: stop: %w", err)
	}
	select {
	case <-s.proc.done:
	case <-ctx.Done():
		s.proc.kill()
	}
	return s.removeRunDir()
}

// removeRunDir removes a throw-away cluster's directory. Backends exit after the postmaster when
// it was killed; they get a moment first, so the removal does not race with them.
func (s *Server) removeRunDir() error {
	if s.runDir == "" {
		return nil
	}
	waitBackendsGone(s.DataDir)
	if err := removeAll(s.runDir); err != nil {
		return fmt.Errorf("pgembed: remove %s: %w", s.runDir, err)
	}
	return nil
}

// settingArgs are the -c flags for postgres, sorted by name so the command line is stable.
func settingArgs(opts Options, throwAway bool, port int) []string {
	set := map[string]string{
		"listen_addresses":        "127.0.0.1",
		"port":                    strconv.Itoa(port),
		"unix_socket_directories": "",
		"max_connections":         strconv.Itoa(maxConnections(opts, throwAway)),
		"logging_collector":       "off",
	}
	if throwAway {
		for k, v := range testSettings {
			set[k] = v
		}
	}
	for k, v := range opts.Settings {
		set[k] = v
	}
	var args []string
	for _, k := range sortedKeys(set) {
		args = append(args, "-c", k+"="+set[k])
	}
	return args
}

// testSettings trade durability for speed: a throw-away cluster is never recovered.
var testSettings = map[string]string{ //nolint:gochecknoglobals // a table that is never written
	"fsync":              "off",
	"synchronous_commit": "off",
	"full_page_writes":   "off",
	"wal_level":          "minimal",
	"max_wal_senders":    "0",
	"max_wal_size":       "4GB",
	"checkpoint_timeout": "1h",
	"autovacuum":         "off",
	"jit":                "off",
	"shared_buffers":     "128MB",
	"huge_pages":         "off",
	"log_min_messages":   "warning",
}

func maxConnections(opts Options, throwAway bool) int {
	switch {
	case opts.MaxConnections > 0:
		return opts.MaxConnections
	case throwAway:
		return 300
	default:
		return 100
	}
}

// waitBackendsGone waits briefly for processes still holding postmaster.pid's shared memory; it
// returns at once after a clean shutdown, which removes postmaster.pid.
func waitBackendsGone(dataDir string) {
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); err != nil {
			return
		}
		if !anyProcessIn(dataDir) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
