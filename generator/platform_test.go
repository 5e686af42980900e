package generator

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/starter-go/starter/templates"
)

// The generated project is used on Linux, macOS and Windows. What cannot run here (a Mac's BSD
// tools, GitHub's macOS and Windows runners) is checked by reading what the project says to run:
// its Makefile, the README's commands for Windows and the CI workflow.

// goldenProject is the golden tree of one variant, read for these checks.
type goldenProject struct {
	dir      string
	makefile string
	targets  []string // the Makefile's documented targets (name: ... ## what)
	commands []string // the subcommands of the project's CLI, at any depth
}

func forEachGolden(t *testing.T, check func(t *testing.T, p goldenProject)) {
	t.Helper()
	m, err := LoadManifest(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, variant := range m.VariantNames() {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			check(t, readGolden(t, filepath.Join("..", "testdata", "golden", variant)))
		})
	}
}

func readGolden(t *testing.T, dir string) goldenProject {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	p := goldenProject{dir: dir, makefile: string(b)}
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z-]*):.*## `).FindAllStringSubmatch(p.makefile, -1) {
		p.targets = append(p.targets, m[1])
	}
	p.commands = cobraCommands(t, filepath.Join(dir, "internal", "cli"))
	return p
}

// cobraCommands lists the first word of every Use: field in the CLI package's sources.
func cobraCommands(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var names []string
	for _, f := range files {
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			kv, ok := n.(*ast.KeyValueExpr)
			if !ok {
				return true
			}
			if id, isIdent := kv.Key.(*ast.Ident); isIdent && id.Name == "Use" {
				if lit, ok := kv.Value.(*ast.BasicLit); ok {
					if use, err := strconv.Unquote(lit.Value); err == nil {
						names = append(names, strings.Fields(use)[0])
					}
				}
			}
			return true
		})
	}
	return names
}

// TestGeneratedMakefileUsesPortableTools: macOS has GNU make 3.81 but BSD awk, date, sed, rm…;
// a recipe may use only programs and flags that both the GNU and the BSD tools have.
func TestGeneratedMakefileUsesPortableTools(t *testing.T) {
	t.Parallel()
	forEachGolden(t, func(t *testing.T, p goldenProject) {
		cmds := makefileCommands(p.makefile)
		if len(cmds) < 10 {
			t.Fatalf("found only %d commands in the Makefile: %q", len(cmds), cmds)
		}
		for _, cmd := range cmds {
			if err := portableCommand(cmd); err != nil {
				t.Errorf("Makefile: %q: %v", strings.Join(cmd, " "), err)
			}
		}
	})
}

func TestPortableCommandCatchesGNUOnlyUsage(t *testing.T) {
	t.Parallel()
	for _, line := range []string{
		`sed -i 's/a/b/' f`, `date -d yesterday`, `date +%s%N`, `grep -P '\d' f`, `xargs -r rm`,
		`readlink -f x`, `rm --recursive bin`, `awk '{print gensub(/a/, "b", "g")}' f`, `cp --parents a b`,
		`timeout 5 go test`,
	} {
		cmds := shellCommands(line)
		if len(cmds) != 1 || portableCommand(cmds[0]) == nil {
			t.Errorf("%q passes as portable", line)
		}
	}
	for _, line := range []string{`date -u +%Y-%m-%dT%H:%M:%SZ`, `rm -rf bin`, `test -z "$x"`, `awk 'BEGIN {FS = ":"} {print $1}' f`} {
		if err := portableCommand(shellCommands(line)[0]); err != nil {
			t.Errorf("%q: %v", line, err)
		}
	}
}

// portableCommand accepts a command (program and arguments) whose program behaves the same with
// GNU and BSD tools for these arguments.
func portableCommand(cmd []string) error {
	// Programs that are the same program on every platform.
	sameEverywhere := map[string]bool{"go": true, "gofmt": true, "git": true, "docker": true,
		"exit": true, "true": true, "false": true, "cd": true, "printf": true}
	// Per POSIX tool, the options used the same way by the BSD and GNU versions.
	portableFlags := map[string][]string{
		"awk":   {"-F"},
		"date":  {"-u"},
		"rm":    {"-r", "-f", "-rf", "-fr"},
		"test":  {"-z", "-n", "-f", "-d", "-e"},
		"[":     {"-z", "-n", "-f", "-d", "-e"},
		"echo":  {},
		"mkdir": {"-p"},
		"cp":    {"-R", "-p"},
	}
	prog, args := cmd[0], cmd[1:]
	for _, a := range args {
		if strings.HasPrefix(a, "--") && !sameEverywhere[prog] {
			return fmt.Errorf("%s: long option %s is GNU only", prog, a)
		}
	}
	if sameEverywhere[prog] {
		return nil
	}
	allowed, ok := portableFlags[prog]
	if !ok {
		return fmt.Errorf("%s: not known to behave the same on macOS (BSD) and Linux (GNU); "+
			"if it does, add it to portableFlags", prog)
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") && len(a) > 1 && !slices.Contains(allowed, a) {
			return fmt.Errorf("%s: option %s is not one both BSD and GNU %s take the same way", prog, a, prog)
		}
	}
	switch prog {
	case "date":
		for _, a := range args {
			if strings.HasPrefix(a, "+") && strings.ContainsAny(strings.ReplaceAll(a, "%%", ""), "N") {
				return fmt.Errorf("date: %%N is GNU only")
			}
		}
	case "awk":
		for _, a := range args {
			if m := regexp.MustCompile(`\b(gensub|strftime|systime|asorti?|patsplit|PROCINFO|IGNORECASE)\b`).FindString(a); m != "" {
				return fmt.Errorf("awk: %s is gawk only", m)
			}
		}
	}
	return nil
}

// makefileCommands returns every shell command in a Makefile's recipes and $(shell …) calls, with
// make's variables expanded, as program and arguments.
func makefileCommands(makefile string) [][]string {
	joined := strings.ReplaceAll(makefile, "\\\n", " ")
	vars := map[string]string{}
	var cmds [][]string
	inRule := false
	for _, line := range strings.Split(joined, "\n") {
		switch {
		case strings.HasPrefix(line, "\t") && inRule:
			recipe := strings.TrimLeft(strings.TrimSpace(line), "@-+")
			cmds = append(cmds, shellCommands(expandMake(recipe, vars, &cmds))...)
		case regexp.MustCompile(`^[A-Z_]+\s*[:?]?=`).MatchString(line):
			name, value, _ := strings.Cut(line, "=")
			name = strings.TrimRight(name, " :?")
			vars[strings.TrimSpace(name)] = expandMake(strings.TrimSpace(value), vars, &cmds)
			inRule = false
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		default:
			inRule = strings.Contains(line, ":") && !strings.HasPrefix(line, ".")
		}
	}
	return cmds
}

// expandMake replaces make's $(VAR) by its value, collects the commands of $(shell …), and turns
// $$ into the shell's $. Other functions ($(or …)) become a placeholder word.
func expandMake(s string, vars map[string]string, cmds *[][]string) string {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "$$"):
			out.WriteByte('$')
			i++
		case strings.HasPrefix(s[i:], "$("):
			end := matchParen(s, i+1)
			ref := s[i+2 : end]
			switch {
			case strings.HasPrefix(ref, "shell "):
				*cmds = append(*cmds, shellCommands(expandMake(ref[len("shell "):], vars, cmds))...)
				out.WriteString("X")
			case vars[ref] != "":
				out.WriteString(vars[ref])
			default:
				out.WriteString("X")
			}
			i = end
		default:
			out.WriteByte(s[i])
		}
	}
	return out.String()
}

// matchParen returns the index of the parenthesis closing the one at open.
func matchParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(s) - 1
}

// shellCommands splits a shell command line into simple commands (at ; && || | { } and inside
// $(…)), each as its words with quotes removed. Enough for Makefile recipes and CI steps, not a
// full shell parser.
func shellCommands(line string) [][]string {
	var cmds [][]string
	var words []string
	var word strings.Builder
	inWord := false
	flushWord := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
	}
	flushCmd := func() {
		flushWord()
		for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
			words = words[1:] // VAR=value prefix
		}
		if len(words) > 0 {
			cmds = append(cmds, words)
		}
		words = nil
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				end = len(line) - i - 1
			}
			word.WriteString(line[i+1 : i+1+end])
			inWord = true
			i += end + 1
		case c == '"':
			end := i + 1
			for end < len(line) && line[end] != '"' {
				if strings.HasPrefix(line[end:], "$(") {
					close := matchParen(line, end+1)
					cmds = append(cmds, shellCommands(line[end+2:close])...)
					end = close
				}
				end++
			}
			word.WriteString(line[i+1 : min(end, len(line))])
			inWord = true
			i = end
		case strings.HasPrefix(line[i:], "$("):
			close := matchParen(line, i+1)
			cmds = append(cmds, shellCommands(line[i+2:close])...)
			word.WriteString("X")
			inWord = true
			i = close
		case c == ';' || c == '|' || c == '&' || c == '{' || c == '}' || c == '\n':
			flushCmd()
		case c == ' ' || c == '\t':
			flushWord()
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	flushCmd()
	return cmds
}

// TestREADMEShowsEveryMakeTargetWithoutMake: on Windows there is usually no make; the README's
// table gives each target as Go commands, and those commands exist.
func TestREADMEShowsEveryMakeTargetWithoutMake(t *testing.T) {
	t.Parallel()
	forEachGolden(t, func(t *testing.T, p goldenProject) {
		b, err := os.ReadFile(filepath.Join(p.dir, "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		_, section, ok := strings.Cut(string(b), "\n## Without make (Windows)\n")
		if !ok {
			t.Fatal("README has no section \"Without make (Windows)\"")
		}
		section, _, _ = strings.Cut(section, "\n## ")
		rows := map[string]string{} // make column → command column
		for _, line := range strings.Split(section, "\n") {
			cells := strings.Split(line, "|")
			if len(cells) == 4 && strings.HasPrefix(strings.TrimSpace(cells[1]), "`make") {
				rows[cells[1]] = cells[2]
			}
		}
		for _, target := range p.targets {
			if !slices.ContainsFunc(slices.Collect(mapKeys(rows)), func(k string) bool {
				return regexp.MustCompile(`\b` + regexp.QuoteMeta(target) + `\b`).MatchString(k)
			}) {
				t.Errorf("make %s: not in the README's table for Windows", target)
			}
		}
		for makeCol, goCol := range rows {
			for _, code := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(goCol, -1) {
				if err := p.checkCommand(code[1], "windows-latest"); err != nil {
					t.Errorf("README, row %s: %v", strings.TrimSpace(makeCol), err)
				}
			}
		}
	})
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkCommand accepts a command line the project documents when every program in it exists
// there: a make target of the Makefile, a go subcommand, a command of the project's CLI, or the
// platform's package manager.
func (p goldenProject) checkCommand(line, runner string) error {
	for _, cmd := range shellCommands(line) {
		if cmd[0] == "sudo" {
			cmd = cmd[1:]
		}
		if err := p.checkProgram(cmd, runner); err != nil {
			return fmt.Errorf("%q: %w", line, err)
		}
	}
	return nil
}

func (p goldenProject) checkProgram(cmd []string, runner string) error {
	switch prog := cmd[0]; {
	case prog == "make":
		for _, target := range cmd[1:] {
			if !strings.Contains(target, "=") && !slices.Contains(p.targets, target) {
				return fmt.Errorf("no make target %s", target)
			}
		}
	case prog == "go":
		return p.checkGo(cmd[1:])
	case prog == "gofmt" || prog == "docker":
	case prog == "apt-get" && runner == "ubuntu-latest":
	default:
		return fmt.Errorf("%s: not a command this project or %s has", prog, runner)
	}
	return nil
}

// checkGo accepts the go subcommands CI and the README use; go run ./cmd/NAME SUB… must name
// commands of the project's CLI.
func (p goldenProject) checkGo(args []string) error {
	if len(args) == 0 || !slices.Contains([]string{"build", "vet", "test", "run", "mod", "version"}, args[0]) {
		return fmt.Errorf("go %s: not a go subcommand used here", strings.Join(args, " "))
	}
	if args[0] != "run" || len(args) < 2 {
		return nil
	}
	if regexp.MustCompile(`^[a-z0-9.-]+\.[a-z]+/[^@ ]+@v\d+\.\d+\.\d+$`).MatchString(args[1]) {
		return nil // a tool pinned at a version (golangci-lint), which go run fetches
	}
	if _, err := os.Stat(filepath.Join(p.dir, filepath.FromSlash(args[1]))); err != nil {
		return fmt.Errorf("go run %s: %w", args[1], err)
	}
	// The first word is a command; later ones are subcommands as long as they name one.
	if len(args) > 2 && !slices.Contains(p.commands, args[2]) {
		return fmt.Errorf("go run %s: the CLI has no command %q", args[1], args[2])
	}
	return nil
}

// workflow is the part of a GitHub Actions workflow these checks read.
type workflow struct {
	Jobs map[string]struct {
		RunsOn string `yaml:"runs-on"`
		Steps  []struct {
			Uses string `yaml:"uses"`
			Run  string `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestCIWorkflowRunsOnEveryPlatform: the project's workflow (which cannot run here) tests on
// Ubuntu with PostgreSQL installed from its packages and builds and vets on macOS and Windows,
// and every step names an action, target or command that exists.
func TestCIWorkflowRunsOnEveryPlatform(t *testing.T) {
	t.Parallel()
	forEachGolden(t, func(t *testing.T, p goldenProject) {
		b, err := os.ReadFile(filepath.Join(p.dir, ".github", "workflows", "ci.yml"))
		if err != nil {
			t.Fatal(err)
		}
		var wf workflow
		if err := yaml.Unmarshal(b, &wf); err != nil {
			t.Fatal(err)
		}
		runs := map[string][]string{} // runner → commands of its steps
		for name, job := range wf.Jobs {
			for _, step := range job.Steps {
				if step.Uses != "" && !slices.Contains([]string{"actions/checkout@v4", "actions/setup-go@v5"}, step.Uses) {
					t.Errorf("job %s: unexpected action %s", name, step.Uses)
				}
				for _, line := range strings.Split(strings.TrimSpace(step.Run), "\n") {
					if line == "" {
						continue
					}
					if err := p.checkCommand(line, job.RunsOn); err != nil {
						t.Errorf("job %s: %v", name, err)
					}
					runs[job.RunsOn] = append(runs[job.RunsOn], line)
				}
			}
		}
		want := map[string][]string{
			"ubuntu-latest":  {"apt-get install -y -q postgresql", "make lint", "make test", "chaos --level", "make build"},
			"macos-latest":   {"go build ./...", "go vet ./..."},
			"windows-latest": {"go build ./...", "go vet ./..."},
		}
		for runner, steps := range want {
			for _, step := range steps {
				if !slices.ContainsFunc(runs[runner], func(l string) bool { return strings.Contains(l, step) }) {
					t.Errorf("no job on %s runs %q (it runs %q)", runner, step, runs[runner])
				}
			}
		}
	})
}
