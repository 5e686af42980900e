package pgembed

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// start starts a server for one test and stops it in Cleanup. Missing binaries fail the test: a
// suite that passes by running nothing would hide them.
func start(t *testing.T, opts Options) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v (install the PostgreSQL server: apt-get install postgresql)", err)
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
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func exec1(t *testing.T, dsn string, sqls ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
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
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() && !strings.HasPrefix(s.DataDir, "/dev/shm/") {
		t.Errorf("DataDir = %s, want it on tmpfs under /dev/shm", s.DataDir)
	}
	pid, dir, port := s.PID(), filepath.Dir(s.DataDir), s.Port
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	assertGone(t, pid, dir, port)
}

func assertGone(t *testing.T, pid int, dir string, port int) {
	t.Helper()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("postmaster %d still exists (kill 0: %v)", pid, err)
	}
	if pids := processesIn(filepath.Join(dir, "data")); len(pids) > 0 {
		t.Errorf("processes %v still run in the data directory", pids)
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

func TestPersistentClusterKeepsData(t *testing.T) {
	t.Parallel()
	requested := filepath.Join(t.TempDir(), ".data", "postgres")
	ctx := context.Background()
	s := start(t, Options{DataDir: requested, MaxConnections: 20})
	t.Cleanup(func() { os.RemoveAll(s.DataDir); os.Remove(s.DataDir + ".origin") })
	if os.Geteuid() == 0 && !strings.HasPrefix(s.DataDir, "/var/tmp/pgembed-data-") {
		t.Errorf("as root DataDir = %s, want it under /var/tmp/pgembed-data-", s.DataDir)
	}
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
	if !strings.Contains(s.DSN("x"), fmt.Sprintf("127.0.0.1:%d/x", port)) {
		t.Errorf("DSN = %s", s.DSN("x"))
	}
}

// TestServerDiesWithItsOwner kills a process that started a server and checks that the server
// goes too and that the next Start removes the directory left behind.
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
	if pid == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("helper did not report its server")
	}
	cmd.Process.Kill()
	cmd.Wait()

	waitUntil(t, func() bool { return !alive(pid) && !anyProcessIn(filepath.Join(dir, "data")) })
	removeStale(filepath.Dir(dir))
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

func TestMissingBinaries(t *testing.T) {
	t.Parallel()
	_, err := Start(context.Background(), Options{BinDir: t.TempDir()})
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("err = %v, want ErrNoBinaries", err)
	}
}

func TestVersionedBinDirsHighestFirst(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, v := range []string{"9.6", "15", "10", "common"} {
		os.MkdirAll(filepath.Join(root, v, "bin"), 0o755)
	}
	got := versionedBinDirs(root)
	want := []string{filepath.Join(root, "15", "bin"), filepath.Join(root, "10", "bin"), filepath.Join(root, "9.6", "bin")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
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

func TestCanReach(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	private := filepath.Join(dir, "private")
	os.Mkdir(private, 0o700)
	other := account{switchUser: true, uid: 12345, gid: 12345}
	if other.canReach(filepath.Join(private, "x")) {
		t.Error("another user reaches a directory inside a 0700 one")
	}
	if !other.canReach("/var/tmp") {
		t.Error("another user cannot reach /var/tmp")
	}
	if !(account{}).canReach(private) {
		t.Error("this process cannot reach its own directory")
	}
}

func TestPidFileStatus(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "postmaster.pid"), []byte("1\n/d\n1\n5432\n\n127.0.0.1\n  1  2\nready   \n"), 0o600)
	if got := pidFileStatus(dir); got != "ready" {
		t.Errorf("status = %q, want ready", got)
	}
	if got := pidFileStatus(t.TempDir()); got != "" {
		t.Errorf("status without file = %q", got)
	}
}

func TestThrowAwayClustersCopyTheCachedInitdb(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	acct, err := currentAccount()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := findBinDir("")
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(filepath.Dir(filepath.Dir(s.DataDir)), cachePrefix+cacheKey(bin, acct))
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
	os.MkdirAll(filepath.Join(src, "base", "1"), 0o700)
	os.WriteFile(filepath.Join(src, "base", "1", "112"), []byte("page"), 0o600)
	os.WriteFile(filepath.Join(src, "PG_VERSION"), []byte("15\n"), 0o644)
	dst := filepath.Join(t.TempDir(), "dst")
	if err := copyTree(src, dst, account{}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{"": 0o700, "base/1": 0o700, "base/1/112": 0o600, "PG_VERSION": 0o644} {
		fi, err := os.Stat(filepath.Join(dst, path))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "base", "1", "112")); string(b) != "page" {
		t.Errorf("content %q", b)
	}
}

func TestThrowAwayClusterOnDisk(t *testing.T) {
	t.Parallel()
	s := start(t, Options{TempDir: "/var/tmp"})
	if !strings.HasPrefix(s.DataDir, "/var/tmp/"+runDirPrefix) {
		t.Errorf("DataDir = %s, want under /var/tmp", s.DataDir)
	}
	pid, dir, port := s.PID(), filepath.Dir(s.DataDir), s.Port
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	assertGone(t, pid, dir, port)
}

// TestUnreachableTempDirIsExplained: root hands the cluster to another user, who
// cannot enter a 0700 directory of root's; anyone else runs it as themselves.
func TestUnreachableTempDirIsExplained(t *testing.T) {
	t.Parallel()
	private := t.TempDir() // 0700, owned by the test's user
	if os.Geteuid() != 0 {
		s := start(t, Options{TempDir: private})
		if !strings.HasPrefix(s.DataDir, private) {
			t.Errorf("DataDir = %s, want it under %s", s.DataDir, private)
		}
		return
	}
	_, err := Start(context.Background(), Options{TempDir: private})
	if err == nil || !strings.Contains(err.Error(), "not reachable") {
		t.Fatalf("err = %v, want it to say the directory is not reachable", err)
	}
}

// TestRelocatedClusterGoesWithItsAnchor: only root's clusters are relocated;
// anyone else's stay where they were asked to be.
func TestRelocatedClusterGoesWithItsAnchor(t *testing.T) {
	t.Parallel()
	requested := filepath.Join(t.TempDir(), "project", ".data", "postgres")
	s := start(t, Options{DataDir: requested})
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		if s.DataDir != requested {
			t.Errorf("DataDir = %s, want %s", s.DataDir, requested)
		}
		return
	}
	if b, err := os.ReadFile(filepath.Join(requested, "LOCATION")); err != nil || !strings.Contains(string(b), s.DataDir) {
		t.Errorf("LOCATION = %q (%v), want it to name %s", b, err, s.DataDir)
	}
	removeOrphans(relocatedBase)
	if _, err := os.Stat(s.DataDir); err != nil {
		t.Fatalf("cluster removed while its anchor exists: %v", err)
	}
	os.RemoveAll(filepath.Dir(filepath.Dir(requested)))
	removeOrphans(relocatedBase)
	for _, p := range []string{s.DataDir, s.DataDir + ".origin"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after its anchor went (stat: %v)", p, err)
		}
	}
}
