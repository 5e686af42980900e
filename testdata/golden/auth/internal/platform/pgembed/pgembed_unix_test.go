//go:build unix

package pgembed

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestCanReach(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	private := filepath.Join(dir, "private")
	mustDo(t, os.Mkdir(private, 0o700))
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

func TestThrowAwayClusterOnDisk(t *testing.T) {
	t.Parallel()
	s := start(t, Options{TempDir: "/var/tmp"})
	acct, _ := currentAccount()
	if want := "/var/tmp/" + userDirPrefix + acct.id + "/" + runPrefix; !strings.HasPrefix(s.DataDir, want) {
		t.Errorf("DataDir = %s, want under %s", s.DataDir, want)
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
		if s.DataDir != requested || s.Relocated {
			t.Errorf("DataDir = %s (relocated %v), want %s", s.DataDir, s.Relocated, requested)
		}
		return
	}
	base := filepath.Join(relocationParent, userDirPrefix+s.acct.id)
	if !s.Relocated || filepath.Dir(s.DataDir) != base {
		t.Errorf("as root DataDir = %s (relocated %v), want it in %s", s.DataDir, s.Relocated, base)
	}
	if b, err := os.ReadFile(filepath.Join(requested, locationFile)); err != nil || !strings.HasPrefix(string(b), s.DataDir+"\n") {
		t.Errorf("LOCATION = %q (%v), want it to start with %s", b, err, s.DataDir)
	}
	removeOrphans(context.Background(), base, s.acct)
	if _, err := os.Stat(s.DataDir); err != nil {
		t.Fatalf("cluster removed while its anchor exists: %v", err)
	}
	os.RemoveAll(filepath.Dir(filepath.Dir(requested)))
	removeOrphans(context.Background(), base, s.acct)
	for _, p := range []string{s.DataDir, s.DataDir + ".origin"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after its anchor went (stat: %v)", p, err)
		}
	}
}

// TestPasswordFileIsPrivate: the password is readable by the account that runs the server alone.
func TestPasswordFileIsPrivate(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	for _, p := range []string{filepath.Join(s.DataDir, passwordFile), filepath.Dir(s.runDir), s.runDir} {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 || int(fi.Sys().(*syscall.Stat_t).Uid) != s.acct.uid {
			t.Errorf("%s: mode %v, uid %d; want no access for others, uid %d", p, fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Uid, s.acct.uid)
		}
	}
}

// TestAnotherAccountCannotConnect runs a client under another uid (nobody; as root here, this
// process otherwise) that knows everything but the password: it can neither read the password
// file nor connect.
func TestAnotherAccountCannotConnect(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	cmd := exec.Command(helperBinary(t), "-test.run=^TestHelperIntruder$")
	cmd.Env = []string{"PGEMBED_INTRUDER_DSN=" + withPassword(t, s.DSN("postgres"), ""),
		"PGEMBED_INTRUDER_FILE=" + filepath.Join(s.DataDir, passwordFile)}
	cmd.Dir = "/"
	other := os.Geteuid() == 0
	if other {
		nobody := lookupUser(t, "nobody")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("intruder: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "connect: refused 28P01") {
		t.Errorf("intruder connected, or failed otherwise:\n%s", out)
	}
	if other && !strings.Contains(string(out), "read: permission denied") {
		t.Errorf("intruder read the password file:\n%s", out)
	}
}

// TestHelperIntruder is the other account's client of TestAnotherAccountCannotConnect.
func TestHelperIntruder(t *testing.T) {
	dsn := os.Getenv("PGEMBED_INTRUDER_DSN")
	if dsn == "" {
		return
	}
	_, err := os.ReadFile(os.Getenv("PGEMBED_INTRUDER_FILE"))
	switch {
	case errors.Is(err, os.ErrPermission):
		os.Stdout.WriteString("read: permission denied\n")
	default:
		os.Stdout.WriteString("read: " + strconv.Quote(errString(err)) + "\n")
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		conn.Close(context.Background())
		os.Stdout.WriteString("connect: accepted\n")
	case errors.As(err, &pgErr):
		os.Stdout.WriteString("connect: refused " + pgErr.Code + "\n")
	default:
		os.Stdout.WriteString("connect: " + err.Error() + "\n")
	}
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// helperBinary returns a copy of this test binary that any account can run (go test keeps the
// original in a private directory).
func helperBinary(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "pgembed-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	path := filepath.Join(dir, "pgembed.test")
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func lookupUser(t *testing.T, name string) uint32 {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	id, err := strconv.Atoi(u.Uid)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(id)
}

// TestPlantedDirectoriesAreRefused: the account's directory in a shared temporary directory must
// be its own and private; anything else there (a link, a directory others can write, one of
// another user's) is refused with an error saying what to remove, and left untouched.
func TestPlantedDirectoriesAreRefused(t *testing.T) {
	t.Parallel()
	acct, err := currentAccount()
	if err != nil {
		t.Fatal(err)
	}
	plants := map[string]func(t *testing.T, dir string){
		"a link to another directory": func(t *testing.T, dir string) {
			target := filepath.Join(filepath.Dir(dir), "target")
			mustDo(t, os.Mkdir(target, 0o700), acct.own(target), os.Symlink(target, dir))
		},
		"a directory others can write": func(t *testing.T, dir string) {
			mustDo(t, os.Mkdir(dir, 0o700), acct.own(dir), os.Chmod(dir, 0o777))
		},
		"a file": func(t *testing.T, dir string) {
			mustDo(t, os.WriteFile(dir, nil, 0o600))
		},
	}
	if os.Geteuid() == 0 {
		plants["a directory of another user"] = func(t *testing.T, dir string) {
			nobody := int(lookupUser(t, "nobody"))
			mustDo(t, os.Mkdir(dir, 0o700), os.Chown(dir, nobody, nobody))
		}
	}
	for name, plant := range plants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			parent := filepath.Join(reachableTempDir(t), "shared")
			mustDo(t, os.Mkdir(parent, 0o777), os.Chmod(parent, 0o1777))
			dir := filepath.Join(parent, userDirPrefix+acct.id)
			plant(t, dir)
			before, _ := os.Lstat(dir)
			_, err := Start(context.Background(), Options{TempDir: parent})
			if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "remove it") {
				t.Fatalf("Start: %v, want a refusal naming %s", err, dir)
			}
			if after, _ := os.Lstat(dir); after.Mode() != before.Mode() {
				t.Errorf("planted %s changed: %v → %v", dir, before.Mode(), after.Mode())
			}
		})
	}
}

// TestCacheLinksAreNotFollowed: a link in the cached cluster (to a file this process may read
// and the account may not) is not copied; the cache is rebuilt and the cluster still starts.
func TestCacheLinksAreNotFollowed(t *testing.T) {
	t.Parallel()
	parent := reachableTempDir(t)
	first := start(t, Options{TempDir: parent})
	bin, err := findBinDir("")
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(filepath.Dir(first.runDir), cachePrefix+cacheKey(bin), "data")
	secret := filepath.Join(t.TempDir(), "secret")
	mustDo(t, os.WriteFile(secret, []byte("root only"), 0o600))
	planted := filepath.Join(cache, "planted")
	mustDo(t, os.Symlink(secret, planted), first.acct.own(planted))

	s := start(t, Options{TempDir: parent})
	if _, err := os.Lstat(filepath.Join(s.DataDir, "planted")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the planted link reached the new cluster (lstat: %v)", err)
	}
	if _, err := os.Lstat(planted); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the cache with the planted link was kept (lstat: %v)", err)
	}
	if got := queryInt(t, s.DSN("postgres"), "SELECT 1"); got != 1 {
		t.Errorf("SELECT 1 = %d", got)
	}
}

func TestCopyTreeRefusesWhatIsNotARegularFile(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "secret")
	mustDo(t, os.WriteFile(secret, []byte("secret"), 0o600))
	tests := map[string]func(src string) error{
		"symbolic link": func(src string) error { return os.Symlink(secret, filepath.Join(src, "link")) },
		"fifo":          func(src string) error { return syscall.Mkfifo(filepath.Join(src, "fifo"), 0o600) },
	}
	for name, plant := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := t.TempDir()
			mustDo(t, os.WriteFile(filepath.Join(src, "PG_VERSION"), []byte("15\n"), 0o600), plant(src))
			dst := filepath.Join(t.TempDir(), "dst")
			if err := copyTree(src, dst, processAccount()); err == nil {
				t.Fatal("copied")
			}
		})
	}
}

func TestPersistentDataDirMayNotBeALink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	link := filepath.Join(dir, "data")
	mustDo(t, os.Mkdir(target, 0o700), os.Symlink(target, link))
	if os.Geteuid() == 0 {
		// As root the data lives elsewhere; the requested directory is the anchor, and the
		// relocated directory is what must not be a link.
		acct, _ := currentAccount()
		base := filepath.Join(relocationParent, userDirPrefix+acct.id)
		mustDo(t, ensurePrivateDir(base, acct))
		link = relocatedDir(base, filepath.Join(dir, "requested"))
		mustDo(t, os.Symlink(target, link))
		t.Cleanup(func() { os.Remove(link) })
		dir = filepath.Join(dir, "requested")
	} else {
		dir = link
	}
	_, err := Start(context.Background(), Options{DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("Start: %v, want a refusal of the link %s", err, link)
	}
}

// TestWatchdogSignalsWhenItsOwnerIsGone: where there is no parent-death signal (macOS), a
// watchdog stops the server once this process is gone; here the end of its pipe stands in for
// the death of this process.
func TestWatchdogSignalsWhenItsOwnerIsGone(t *testing.T) {
	t.Parallel()
	for name, disarm := range map[string]bool{"owner gone": false, "disarmed": true} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sleeper := exec.Command("sleep", "300")
			mustDo(t, sleeper.Start())
			t.Cleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })
			// SIGTERM: a shell's background jobs, and so maybe this test, ignore SIGINT and SIGQUIT
			// (postgres sets handlers of its own).
			w, err := startWatchdog(sleeper.Process.Pid, syscall.SIGTERM)
			if err != nil {
				t.Fatal(err)
			}
			if disarm {
				w.disarm()
				if err := sleeper.Process.Signal(syscall.Signal(0)); err != nil {
					t.Errorf("a disarmed watchdog ended the process: %v", err)
				}
				return
			}
			syscall.Close(w.write) // what the kernel does when this process dies
			err = sleeper.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
				t.Errorf("process ended with %v, want SIGTERM", err)
			}
			w.cmd.Wait()
		})
	}
}

// TestRelocatedClusterOfAnOlderVersionIsAdopted: as root, an older version kept the cluster in
// /var/tmp/pgembed-data-<hash>; the project keeps its data when it moves into the account's
// directory.
func TestRelocatedClusterOfAnOlderVersionIsAdopted(t *testing.T) {
	t.Parallel()
	requested := filepath.Join(t.TempDir(), "project", ".data", "postgres")
	removePersistent(t, requested)
	s := start(t, Options{DataDir: requested})
	exec1(t, s.DSN("postgres"), "CREATE TABLE kept (n int)", "INSERT INTO kept VALUES (9)")
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		return // nothing is relocated for other users
	}
	legacy := filepath.Join(relocationParent, userDirPrefix+filepath.Base(s.DataDir))
	mustDo(t, os.Rename(s.DataDir, legacy))
	t.Cleanup(func() { os.RemoveAll(legacy) })

	again := start(t, Options{DataDir: requested})
	if got := queryInt(t, again.DSN("postgres"), "SELECT n FROM kept"); got != 9 {
		t.Errorf("kept row = %d, want 9", got)
	}
	if _, err := os.Lstat(legacy); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists (lstat: %v)", legacy, err)
	}
}

// TestClearStaleLeavesALiveStrangerAlone: a postmaster.pid naming a live process that is not the
// server (its pid reused, or one this system cannot tell) is left to postgres, and the process to
// itself.
func TestClearStaleLeavesALiveStrangerAlone(t *testing.T) {
	t.Parallel()
	stranger := exec.Command("sleep", "300")
	mustDo(t, stranger.Start())
	t.Cleanup(func() { stranger.Process.Kill(); stranger.Wait() })
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "postmaster.pid")
	content := strconv.Itoa(stranger.Process.Pid) + "\n" + dir + "\n1700000000\n5432\n\n127.0.0.1\n  1  2\nready   \n"
	mustDo(t, os.WriteFile(pidFile, []byte(content), 0o600))
	if err := clearStale(context.Background(), dir, filepath.Join(dir, ownerFile), processAccount()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pidFile); err != nil {
		t.Errorf("postmaster.pid of a live process removed: %v", err)
	}
	if err := stranger.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the stranger was stopped: %v", err)
	}
}

func TestReadPrivateFileRefusesALink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	link := filepath.Join(dir, passwordFile)
	mustDo(t, os.WriteFile(secret, []byte("0123456789abcdef0123456789abcdef\n"), 0o600), os.Symlink(secret, link))
	_, err := readPrivateFile(link, processAccount(), 0o600)
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("err = %v, want a refusal of the link", err)
	}
}
