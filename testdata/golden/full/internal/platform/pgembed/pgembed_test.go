package pgembed

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// start starts a server for one test and stops it in Cleanup. Missing binaries fail the test: a
// suite that passes by running nothing would hide them.
func start(t *testing.T, opts Options) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

func queryInt(t *testing.T, dsn, sql string) int {
	t.Helper()
	return queryOne[int](t, dsn, sql)
}

// queryOne connects to dsn and returns the one value sql selects.
func queryOne[T any](t *testing.T, dsn, sql string, args ...any) T {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var v T
	if err := conn.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func exec1(t *testing.T, dsn string, sqls ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	for _, sql := range sqls {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

func TestThrowAwayClusterIsTunedAndLeavesNothing(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	if got := queryInt(t, s.DSN("postgres"), "SELECT setting::int FROM pg_settings WHERE name = 'max_connections'"); got != 300 {
		t.Errorf("max_connections = %d, want 300", got)
	}
	if got := queryInt(t, s.DSN("postgres"), "SELECT count(*) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes') AND setting = 'off'"); got != 3 {
		t.Errorf("%d of fsync, synchronous_commit, full_page_writes are off, want 3", got)
	}
	if len(tmpfsDirs()) > 0 && !strings.HasPrefix(s.DataDir, tmpfsDirs()[0]+string(filepath.Separator)) {
		t.Errorf("DataDir = %s, want it on tmpfs under %s", s.DataDir, tmpfsDirs()[0])
	}
	pid, dir, port := s.PID(), filepath.Dir(s.DataDir), s.Port
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	assertGone(t, pid, dir, port)
}

func assertGone(t *testing.T, pid int, dir string, port int) {
	t.Helper()
	if processAlive(pid) {
		t.Errorf("postmaster %d still exists", pid)
	}
	if anyProcessIn(filepath.Join(dir, "data")) {
		t.Errorf("processes still run in the data directory")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists (stat: %v)", dir, err)
	}
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		c.Close()
		t.Errorf("port %d still accepts connections", port)
	}
}

func TestCreateDatabaseIsIdempotent(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	ctx := context.Background()
	for range 2 {
		if err := s.CreateDatabase(ctx, "My-App"); err != nil {
			t.Fatalf("CreateDatabase: %v", err)
		}
	}
	exec1(t, s.DSN("My-App"), "CREATE TABLE t (id int)")
}

// removePersistent drops a persistent cluster at the end of a test, wherever it was relocated.
func removePersistent(t *testing.T, requested string) {
	t.Cleanup(func() {
		if _, err := Remove(requested); err != nil {
			t.Errorf("Remove: %v", err)
		}
	})
}

func TestPersistentClusterKeepsData(t *testing.T) {
	t.Parallel()
	requested := filepath.Join(t.TempDir(), ".data", "postgres")
	removePersistent(t, requested)
	ctx := context.Background()
	s := start(t, Options{DataDir: requested, MaxConnections: 20})
	if err := s.CreateDatabase(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	exec1(t, s.DSN("app"), "CREATE TABLE kept (n int)", "INSERT INTO kept VALUES (42)")
	if got := queryInt(t, s.DSN("app"), "SELECT setting::int FROM pg_settings WHERE name = 'max_connections'"); got != 20 {
		t.Errorf("max_connections = %d, want 20", got)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	again := start(t, Options{DataDir: requested})
	if again.DataDir != s.DataDir {
		t.Errorf("second run uses %s, first used %s", again.DataDir, s.DataDir)
	}
	if got := queryInt(t, again.DSN("app"), "SELECT n FROM kept"); got != 42 {
		t.Errorf("kept row = %d, want 42", got)
	}
	if got := queryInt(t, again.DSN("app"), "SELECT (setting = 'on')::int FROM pg_settings WHERE name = 'fsync'"); got != 1 {
		t.Error("persistent cluster runs with fsync off")
	}
}

func TestFixedPort(t *testing.T) {
	t.Parallel()
	port, err := pickPort(0)
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, Options{Port: port, Settings: map[string]string{"application_name": "fixed"}})
	if s.Port != port {
		t.Errorf("Port = %d, want %d", s.Port, port)
	}
	if !strings.Contains(s.DSN("x"), fmt.Sprintf("@127.0.0.1:%d/x", port)) {
		t.Errorf("DSN = %s", s.DSN("x"))
	}
}

// TestOnlyClientsWithThePasswordConnect: any local account can reach 127.0.0.1, so the server
// must ask every client for the password, which only the DSN carries.
func TestOnlyClientsWithThePasswordConnect(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	if got := queryInt(t, s.DSN("postgres"), "SELECT 1"); got != 1 {
		t.Fatalf("with the DSN: %d", got)
	}
	for name, password := range map[string]string{"no password": "", "wrong password": "postgres"} {
		t.Run(name, func(t *testing.T) {
			assertRefused(t, withPassword(t, s.DSN("postgres"), password))
		})
	}
}

// The password is stored with one PBKDF2 iteration (scramIterations), which every connection
// then pays on the client, in place of PostgreSQL's 4096; clients that know it connect (above),
// the others are refused.
func TestPasswordIsStoredWithOneIteration(t *testing.T) {
	t.Parallel()
	requested := filepath.Join(t.TempDir(), "persistent")
	removePersistent(t, requested)
	for name, opts := range map[string]Options{"throw-away": {}, "persistent": {DataDir: requested}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			assertOneIteration(t, start(t, opts).DSN("postgres"))
		})
	}
}

// assertOneIteration wants the superuser's stored secret to be scram-sha-256 with one iteration.
func assertOneIteration(t *testing.T, dsn string) {
	t.Helper()
	secret := queryOne[string](t, dsn, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", User)
	if !strings.HasPrefix(secret, "SCRAM-SHA-256$1:") {
		t.Fatalf("stored secret %.20s…, want scram-sha-256 with 1 iteration", secret)
	}
}

// withPassword returns dsn with its password replaced (removed when password is "").
func withPassword(t *testing.T, dsn, password string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(User)
	if password != "" {
		u.User = url.UserPassword(User, password)
	}
	return u.String()
}

// assertRefused connects to dsn and wants the server to refuse it for its password (28P01).
func assertRefused(t *testing.T, dsn string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err == nil {
		conn.Close(context.Background())
		t.Fatal("connected without the password")
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("err = %v, want the server's refusal (SQLSTATE 28P01)", err)
	}
}

// TestClusterOfAnOlderVersionGetsAPassword: a persistent cluster made before passwords (trust
// authentication) gets one at its next start, and keeps its data.
func TestClusterOfAnOlderVersionGetsAPassword(t *testing.T) {
	t.Parallel()
	requested := filepath.Join(t.TempDir(), "old")
	removePersistent(t, requested)
	s := start(t, Options{DataDir: requested})
	exec1(t, s.DSN("postgres"), "CREATE TABLE kept (n int)", "INSERT INTO kept VALUES (7)")
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	// What an older version left: trust for every local client, no password file.
	trust := "local all all trust\nhost all all 127.0.0.1/32 trust\n"
	if err := os.WriteFile(filepath.Join(s.DataDir, "pg_hba.conf"), []byte(trust), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(s.DataDir, passwordFile)); err != nil {
		t.Fatal(err)
	}

	again := start(t, Options{DataDir: requested})
	assertRefused(t, withPassword(t, again.DSN("postgres"), ""))
	assertOneIteration(t, again.DSN("postgres"))
	if got := queryInt(t, again.DSN("postgres"), "SELECT n FROM kept"); got != 7 {
		t.Errorf("kept row = %d, want 7", got)
	}
}

// TestServerDiesWithItsOwner kills a process that started a server and checks that the server
// goes too (parent-death signal, watchdog or job object) and that the next Start removes the
// directory left behind.
func TestServerDiesWithItsOwner(t *testing.T) {
	t.Parallel()
	if _, err := findBinDir(""); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperOwner$")
	cmd.Env = append(os.Environ(), "PGEMBED_HELPER_OWNER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	var dir string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, _ := fmt.Sscanf(sc.Text(), "server %d %s", &pid, &dir); n == 2 {
			break
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if pid == 0 {
		t.Fatal("helper did not report its server")
	}

	waitUntil(t, func() bool { return !processAlive(pid) && !anyProcessIn(filepath.Join(dir, "data")) })
	acct, err := currentAccount()
	if err != nil {
		t.Fatal(err)
	}
	removeStale(context.Background(), filepath.Dir(dir), acct)
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale cluster %s not removed (stat: %v)", dir, err)
	}
}

// waitUntil polls cond until it holds; the test's own deadline bounds the wait.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-t.Context().Done():
			t.Fatal("condition never held")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestHelperOwner is the process TestServerDiesWithItsOwner kills.
func TestHelperOwner(t *testing.T) {
	t.Parallel()
	if os.Getenv("PGEMBED_HELPER_OWNER") != "1" {
		return
	}
	s, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("server %d %s\n", s.PID(), filepath.Dir(s.DataDir))
	select {}
}

// TestStaleServerIsStoppedAtNextStart: a server whose owner died without stopping it (a watchdog
// killed with its owner, a server of an older version) is stopped by the next Start in its
// directory, and its postmaster.pid removed, instead of blocking the start.
func TestStaleServerIsStoppedAtNextStart(t *testing.T) {
	t.Parallel()
	requested := filepath.Join(t.TempDir(), "data")
	removePersistent(t, requested)
	s := start(t, Options{DataDir: requested})
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	orphan := startOrphan(t, s)

	again := start(t, Options{DataDir: requested})
	if processAlive(orphan) {
		t.Errorf("orphaned server %d still runs", orphan)
	}
	if got := queryInt(t, again.DSN("postgres"), "SELECT 1"); got != 1 {
		t.Errorf("SELECT 1 = %d", got)
	}
}

// startOrphan starts postgres in the stopped server's directory as nobody's child: its owner
// file names a process that has exited.
func startOrphan(t *testing.T, s *Server) int {
	t.Helper()
	bin, err := findBinDir("")
	if err != nil {
		t.Fatal(err)
	}
	port, err := pickPort(0)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-D", s.DataDir}, settingArgs(Options{}, false, port)...)
	proc, err := startChild(filepath.Join(bin, "postgres"+hostLayout().exe), args, s.DataDir, s.acct, stopKill, nil, newTail(nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proc.stop(stopKill) })
	if err := waitReady(context.Background(), s.DataDir, proc); err != nil {
		t.Fatal(err)
	}
	if err := writePrivateFile(s.ownerPath, []byte(fmt.Sprint(exitedPID(t))), s.acct); err != nil {
		t.Fatal(err)
	}
	return proc.cmd.Process.Pid
}

// exitedPID returns the pid of a process that has exited.
func exitedPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestServerInUseIsNotTakenOver(t *testing.T) {
	t.Parallel()
	requested := filepath.Join(t.TempDir(), "data")
	removePersistent(t, requested)
	s := start(t, Options{DataDir: requested})
	_, err := Start(context.Background(), Options{DataDir: requested})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Start: %v, want an error saying the directory is in use", err)
	}
	if got := queryInt(t, s.DSN("postgres"), "SELECT 1"); got != 1 {
		t.Errorf("first server: SELECT 1 = %d", got)
	}
}

func TestClearStaleRemovesThePidFileOfAnExitedServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "postmaster.pid")
	content := fmt.Sprintf("%d\n%s\n%d\n5432\n\n127.0.0.1\n  1  2\nready   \n", exitedPID(t), dir, time.Now().Unix())
	if err := os.WriteFile(pidFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := clearStale(context.Background(), dir, filepath.Join(dir, ownerFile), processAccount()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pidFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid of an exited server kept (stat: %v)", err)
	}
}

func TestMissingBinaries(t *testing.T) {
	t.Parallel()
	_, err := Start(context.Background(), Options{BinDir: t.TempDir()})
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("err = %v, want ErrNoBinaries", err)
	}
	if !strings.Contains(err.Error(), hostLayout().install) {
		t.Errorf("err = %v, want it to say how to install the server here", err)
	}
}

// TestFindBinDirInEachPlatformsLayout runs discovery over a fake tree laid out as each platform's
// installers do: PATH first, then the highest version, skipping directories without the server.
func TestFindBinDirInEachPlatformsLayout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		lay    layout
		dirs   []string // created with initdb and postgres inside
		client []string // created with psql only
		path   string   // on PATH, "" for none
		want   string
	}{
		{"debian", linuxLayout(), []string{"usr/lib/postgresql/9.6/bin", "usr/lib/postgresql/15/bin", "usr/lib/postgresql/10/bin"}, []string{"usr/lib/postgresql/16/bin"}, "", "usr/lib/postgresql/15/bin"},
		{"fedora pgdg", linuxLayout(), []string{"usr/pgsql-16/bin", "usr/pgsql-13/bin"}, nil, "", "usr/pgsql-16/bin"},
		{"path first", linuxLayout(), []string{"usr/lib/postgresql/17/bin", "opt/pg/bin"}, nil, "opt/pg/bin", "opt/pg/bin"},
		{"client only on path", linuxLayout(), []string{"usr/lib/postgresql/15/bin"}, []string{"usr/bin"}, "usr/bin", "usr/lib/postgresql/15/bin"},
		{"homebrew apple silicon", darwinLayout(), []string{"opt/homebrew/opt/postgresql@14/bin", "opt/homebrew/opt/postgresql@17/bin"}, nil, "", "opt/homebrew/opt/postgresql@17/bin"},
		{"homebrew intel", darwinLayout(), []string{"usr/local/opt/postgresql@16/bin"}, nil, "", "usr/local/opt/postgresql@16/bin"},
		{"postgres.app", darwinLayout(), []string{"Applications/Postgres.app/Contents/Versions/latest/bin", "Applications/Postgres.app/Contents/Versions/16/bin"}, nil, "", "Applications/Postgres.app/Contents/Versions/16/bin"},
		{"newest across installers", darwinLayout(), []string{"usr/local/opt/postgresql@15/bin", "Applications/Postgres.app/Contents/Versions/17/bin"}, nil, "", "Applications/Postgres.app/Contents/Versions/17/bin"},
		{"windows installer", windowsLayout(), []string{"Program Files/PostgreSQL/16/bin", "Program Files/PostgreSQL/17/bin"}, []string{"Program Files/PostgreSQL/18/bin"}, "", "Program Files/PostgreSQL/17/bin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			for _, d := range tt.dirs {
				fakeBinaries(t, filepath.Join(root, d), tt.lay.exe, "initdb", "postgres")
			}
			for _, d := range tt.client {
				fakeBinaries(t, filepath.Join(root, d), tt.lay.exe, "psql", "postgres-not")
			}
			lookPath := func(name string) (string, error) {
				p := filepath.Join(root, tt.path, name)
				if _, err := os.Stat(p); tt.path == "" || err != nil {
					return "", exec.ErrNotFound
				}
				return p, nil
			}
			got, err := lookBinDir("", tt.lay, root, lookPath)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(root, tt.want); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func TestFindBinDirSaysHowToInstall(t *testing.T) {
	t.Parallel()
	for name, lay := range map[string]layout{"linux": linuxLayout(), "darwin": darwinLayout(), "windows": windowsLayout()} {
		_, err := lookBinDir("", lay, t.TempDir(), func(string) (string, error) { return "", exec.ErrNotFound })
		if !errors.Is(err, ErrNoBinaries) || !strings.Contains(err.Error(), lay.install) {
			t.Errorf("%s: err = %v, want ErrNoBinaries and %q", name, err, lay.install)
		}
	}
	for name, want := range map[string]string{"linux": "apt-get install postgresql", "darwin": "brew install postgresql", "windows": "winget install PostgreSQL"} {
		lay := map[string]layout{"linux": linuxLayout(), "darwin": darwinLayout(), "windows": windowsLayout()}[name]
		if !strings.Contains(lay.install, want) {
			t.Errorf("%s: install hint %q lacks %q", name, lay.install, want)
		}
	}
}

func fakeBinaries(t *testing.T, dir, exe string, names ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n+exe), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSettingArgs(t *testing.T) {
	t.Parallel()
	args := strings.Join(settingArgs(Options{Settings: map[string]string{"fsync": "on"}}, true, 5433), " ")
	for _, want := range []string{"-c fsync=on", "-c port=5433", "-c listen_addresses=127.0.0.1", "-c max_connections=300", "-c full_page_writes=off"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	persistent := strings.Join(settingArgs(Options{}, false, 5433), " ")
	if strings.Contains(persistent, "fsync") || !strings.Contains(persistent, "max_connections=100") {
		t.Errorf("persistent args %q", persistent)
	}
}

func TestPidFileStatus(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mustDo(t, os.WriteFile(filepath.Join(dir, "postmaster.pid"), []byte("1\n/d\n1700000000\n5432\n\n127.0.0.1\n  1  2\nready   \n"), 0o600))
	if got := pidFileStatus(dir); got != "ready" {
		t.Errorf("status = %q, want ready", got)
	}
	if pf, _ := readPidFile(dir); pf.pid != 1 || pf.start != 1700000000 {
		t.Errorf("pid file = %+v", pf)
	}
	if got := pidFileStatus(t.TempDir()); got != "" {
		t.Errorf("status without file = %q", got)
	}
}

func TestThrowAwayClustersCopyTheCachedInitdb(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	bin, err := findBinDir("")
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(filepath.Dir(s.runDir), cachePrefix+cacheKey(bin), "data")
	if _, err := os.Stat(filepath.Join(cache, "PG_VERSION")); err != nil {
		t.Errorf("no cached cluster after Start: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cache, "postmaster.pid")); err == nil {
		t.Error("the cached cluster was started: copies would inherit its state")
	}
}

func TestCopyTreeKeepsModes(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "src")
	mustDo(t, os.MkdirAll(filepath.Join(src, "base", "1"), 0o700))
	mustDo(t, os.WriteFile(filepath.Join(src, "base", "1", "112"), []byte("page"), 0o600))
	mustDo(t, os.WriteFile(filepath.Join(src, "PG_VERSION"), []byte("15\n"), 0o644))
	dst := filepath.Join(t.TempDir(), "dst")
	if err := copyTree(src, dst, processAccount()); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{"": 0o700, "base/1": 0o700, "base/1/112": 0o600, "PG_VERSION": 0o644}
	for path, mode := range want {
		fi, err := os.Stat(filepath.Join(dst, path))
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), mode)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "base", "1", "112")); string(b) != "page" {
		t.Errorf("content %q", b)
	}
}

func TestInspectAndRemove(t *testing.T) {
	t.Parallel()
	requested := filepath.Join(t.TempDir(), "project", ".data", "postgres")
	if c, err := Inspect(requested); err != nil || c.Exists {
		t.Fatalf("before any start: %+v, %v", c, err)
	}
	s := start(t, Options{DataDir: requested})
	c, err := Inspect(requested)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Exists || c.DataDir != s.DataDir || c.Relocated != s.Relocated || c.PID != s.PID() || c.Bytes == 0 {
		t.Errorf("running: %+v, server in %s pid %d", c, s.DataDir, s.PID())
	}
	if _, err := Remove(requested); err == nil {
		t.Error("Remove took the directory of a running server")
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c, err := Inspect(requested); err != nil || c.PID != 0 {
		t.Errorf("stopped: %+v, %v", c, err)
	}
	if _, err := Remove(requested); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{s.DataDir, filepath.Join(requested, locationFile)} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after Remove (stat: %v)", p, err)
		}
	}
}

// TestUnusedCachesAreRemoved: a cache no start has copied for a week (made by binaries since
// upgraded) goes; the one in use stays.
func TestUnusedCachesAreRemoved(t *testing.T) {
	t.Parallel()
	parent := reachableTempDir(t)
	s := start(t, Options{TempDir: parent})
	base := filepath.Dir(s.runDir)
	old := filepath.Join(base, cachePrefix+"0123456789abcdef")
	mustDo(t, os.Mkdir(old, 0o700), s.acct.own(old))
	weekAgo := time.Now().Add(-unusedCacheAge - time.Hour)
	mustDo(t, os.Chtimes(old, weekAgo, weekAgo))
	bin, err := findBinDir("")
	if err != nil {
		t.Fatal(err)
	}
	current := filepath.Join(base, cachePrefix+cacheKey(bin))
	almostWeekAgo := time.Now().Add(-unusedCacheAge + time.Hour)
	mustDo(t, os.Chtimes(current, almostWeekAgo, almostWeekAgo))

	start(t, Options{TempDir: parent})
	if _, err := os.Lstat(old); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unused cache %s kept (lstat: %v)", old, err)
	}
	if fi, err := os.Lstat(current); err != nil || !fi.ModTime().After(almostWeekAgo) {
		t.Errorf("the cache in use was not marked as used (lstat: %v)", err)
	}
}

// reachableTempDir is a t.TempDir that the account running PostgreSQL (as root, another user) can
// enter.
func reachableTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	mustDo(t, os.Chmod(filepath.Dir(dir), 0o755), os.Chmod(dir, 0o755))
	return dir
}

func mustDo(t *testing.T, errs ...error) {
	t.Helper()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}
