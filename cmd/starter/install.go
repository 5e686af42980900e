package main

import (
	"cmp"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// platform is what the doctor's advice depends on: the operating system and,
// on Linux, the distribution. Its methods are pure, so every platform's
// advice is tested on any machine.
type platform struct {
	goos string
	// osRelease is the content of /etc/os-release (Linux; "" elsewhere or
	// when it is missing).
	osRelease string
}

// hostPlatform is the platform starter runs on.
func hostPlatform() platform {
	p := platform{goos: runtime.GOOS}
	if p.goos == "linux" {
		data, _ := os.ReadFile("/etc/os-release") // missing: no distribution known
		p.osRelease = string(data)
	}
	return p
}

// packageManager names the installer of the platform: apt, dnf, pacman,
// zypper, brew, winget, or "" when it is unknown.
func (p platform) packageManager() string {
	switch p.goos {
	case "darwin":
		return "brew"
	case "windows":
		return "winget"
	case "linux":
		return linuxPackageManager(p.osRelease)
	}
	return ""
}

// linuxPackageManager reads the distribution from os-release: its ID, then
// the ones it declares itself like (ID_LIKE), so derivatives such as Linux
// Mint (ubuntu debian) or Rocky (rhel centos fedora) get their parent's.
func linuxPackageManager(osRelease string) string {
	fields := osReleaseFields(osRelease)
	ids := append([]string{fields["ID"]}, strings.Fields(fields["ID_LIKE"])...)
	for _, id := range ids {
		switch id {
		case "debian", "ubuntu":
			return "apt"
		case "fedora", "rhel", "centos":
			return "dnf"
		case "arch":
			return "pacman"
		case "suse", "opensuse":
			return "zypper"
		}
	}
	return ""
}

// osReleaseFields parses os-release's KEY=value lines, quotes removed.
func osReleaseFields(content string) map[string]string {
	fields := map[string]string{}
	for line := range strings.Lines(content) {
		key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && !strings.HasPrefix(key, "#") {
			fields[key] = strings.Trim(value, `"'`)
		}
	}
	return fields
}

// installPostgres is the command that installs the PostgreSQL server
// binaries (initdb, pg_ctl, postgres), or where to download them.
func (p platform) installPostgres() string {
	switch p.packageManager() {
	case "apt":
		return "sudo apt-get install postgresql"
	case "dnf":
		return "sudo dnf install postgresql-server"
	case "pacman":
		return "sudo pacman -S postgresql"
	case "zypper":
		return "sudo zypper install postgresql-server"
	case "brew":
		return "brew install postgresql@17"
	case "winget":
		return "winget install PostgreSQL.PostgreSQL.17"
	}
	return "https://www.postgresql.org/download/"
}

// installGit is the command that installs git, or where to download it.
func (p platform) installGit() string {
	switch pm := p.packageManager(); pm {
	case "apt":
		return "sudo apt-get install git"
	case "dnf", "zypper":
		return "sudo " + pm + " install git"
	case "pacman":
		return "sudo pacman -S git"
	case "brew":
		return "brew install git"
	case "winget":
		return "winget install Git.Git"
	}
	return "https://git-scm.com/downloads"
}

// postgresDirs are the globs of the directories where the platform's usual
// installers put the PostgreSQL binaries without adding them to PATH.
func (p platform) postgresDirs() []string {
	switch p.goos {
	case "linux":
		return []string{"/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin"}
	case "darwin":
		return []string{"/opt/homebrew/opt/postgresql@*/bin", "/usr/local/opt/postgresql@*/bin",
			"/Applications/Postgres.app/Contents/Versions/*/bin"}
	case "windows":
		return []string{`C:\Program Files\PostgreSQL\*\bin`}
	}
	return nil
}

// findPostgresBinary looks for a PostgreSQL program on PATH, then in the
// platform's usual directories, the highest version first.
func (p platform) findPostgresBinary(name string) (string, bool) {
	if path, err := exec.LookPath(name); err == nil {
		return path, true
	}
	if p.goos == "windows" {
		name += ".exe"
	}
	return newestMatch(p.postgresDirs(), name)
}

// newestMatch is the file name in the highest-versioned directory that
// matches one of the globs.
func newestMatch(globs []string, name string) (string, bool) {
	var found []string
	for _, dir := range globs {
		matches, _ := filepath.Glob(filepath.Join(dir, name)) // the patterns are well-formed
		found = append(found, matches...)
	}
	if len(found) == 0 {
		return "", false
	}
	return slices.MaxFunc(found, compareVersions), true
}

// compareVersions orders paths by the numbers in them, so that
// postgresql/17 sorts above postgresql/9.6 (a plain string sort would not).
func compareVersions(a, b string) int {
	na, nb := numbers(a), numbers(b)
	if c := slices.Compare(na, nb); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// numbers are the runs of digits in s, as integers.
func numbers(s string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		n, _ := strconv.Atoi(f) // only digits: fails only on overflow, then 0
		out = append(out, n)
	}
	return out
}
