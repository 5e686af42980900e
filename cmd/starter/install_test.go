package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestInstallHints: the doctor names the install commands of the platform it
// runs on, the Linux distribution read from /etc/os-release (ID, then
// ID_LIKE), and a download page where it knows no package manager.
func TestInstallHints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, goos, osRelease string
		postgres, git         string
	}{
		{"debian", "linux", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n",
			"sudo apt-get install postgresql", "sudo apt-get install git"},
		{"ubuntu", "linux", "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\n",
			"sudo apt-get install postgresql", "sudo apt-get install git"},
		{"linux mint, like ubuntu", "linux", "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n",
			"sudo apt-get install postgresql", "sudo apt-get install git"},
		{"fedora", "linux", "NAME=\"Fedora Linux\"\nID=fedora\n",
			"sudo dnf install postgresql-server", "sudo dnf install git"},
		{"rhel, quoted", "linux", "ID=\"rhel\"\nID_LIKE=\"fedora\"\n",
			"sudo dnf install postgresql-server", "sudo dnf install git"},
		{"rocky, like rhel", "linux", "ID='rocky'\nID_LIKE='rhel centos fedora'\n",
			"sudo dnf install postgresql-server", "sudo dnf install git"},
		{"arch", "linux", "ID=arch\n",
			"sudo pacman -S postgresql", "sudo pacman -S git"},
		{"opensuse", "linux", "ID=\"opensuse-tumbleweed\"\nID_LIKE=\"opensuse suse\"\n",
			"sudo zypper install postgresql-server", "sudo zypper install git"},
		{"comment and blank lines", "linux", "# a comment\n\n  ID=debian  \n",
			"sudo apt-get install postgresql", "sudo apt-get install git"},
		{"unknown distribution", "linux", "ID=alpine\n",
			"https://www.postgresql.org/download/", "https://git-scm.com/downloads"},
		{"no os-release", "linux", "",
			"https://www.postgresql.org/download/", "https://git-scm.com/downloads"},
		{"macos", "darwin", "",
			"brew install postgresql@17", "brew install git"},
		{"windows", "windows", "",
			"winget install PostgreSQL.PostgreSQL.17", "winget install Git.Git"},
		{"os-release ignored off linux", "darwin", "ID=debian\n",
			"brew install postgresql@17", "brew install git"},
		{"other system", "freebsd", "",
			"https://www.postgresql.org/download/", "https://git-scm.com/downloads"},
	}
	for _, tt := range tests {
		p := platform{goos: tt.goos, osRelease: tt.osRelease}
		if got := p.installPostgres(); got != tt.postgres {
			t.Errorf("%s: PostgreSQL: %q, want %q", tt.name, got, tt.postgres)
		}
		if got := p.installGit(); got != tt.git {
			t.Errorf("%s: git: %q, want %q", tt.name, got, tt.git)
		}
	}
}

// TestPostgresDirs: where each platform's installers put the binaries off
// PATH, and the highest version wins (9.6 < 17, unlike as strings).
func TestPostgresDirs(t *testing.T) {
	t.Parallel()
	dirs := map[string][]string{
		"linux":   {"/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin"},
		"darwin":  {"/opt/homebrew/opt/postgresql@*/bin", "/usr/local/opt/postgresql@*/bin", "/Applications/Postgres.app/Contents/Versions/*/bin"},
		"windows": {`C:\Program Files\PostgreSQL\*\bin`},
		"plan9":   nil,
	}
	for goos, want := range dirs {
		if got := (platform{goos: goos}).postgresDirs(); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", goos, got, want)
		}
	}
	root := t.TempDir()
	for _, dir := range []string{"lib/postgresql/9.6/bin", "lib/postgresql/17/bin", "lib/postgresql/15/bin", "pgsql-16/bin"} {
		writeTestFile(t, filepath.Join(root, dir, "initdb"), "")
	}
	writeTestFile(t, filepath.Join(root, "lib/postgresql/18/bin/pg_ctl"), "") // no initdb there
	globs := []string{filepath.Join(root, "lib/postgresql/*/bin"), filepath.Join(root, "pgsql-*/bin")}
	got, ok := newestMatch(globs, "initdb")
	if want := filepath.Join(root, "lib/postgresql/17/bin/initdb"); !ok || got != want {
		t.Errorf("newest initdb: %q, %v; want %q", got, ok, want)
	}
	if got, ok := newestMatch(globs, "postgres"); ok {
		t.Errorf("found postgres at %s, where there is none", got)
	}
}

// writeTestFile writes name with its parent directories.
func writeTestFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
