//go:build unix

package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// fakeProject is a generated project whose binary announces that it is
// ready, waits for SIGINT, says so and exits with $FAKE_EXIT.
var fakeProject = map[string]string{
	".starter.yaml": "name: fake\n",
	"go.mod":        "module example.com/fake\n\ngo 1.26\n",
	"cmd/fake/main.go": `package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
)

func main() {
	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt)
	fmt.Println("fake", strings.Join(os.Args[1:], " "), "ready")
	<-interrupt
	fmt.Println("fake: interrupted, shutting down gracefully")
	code, _ := strconv.Atoi(os.Getenv("FAKE_EXIT"))
	os.Exit(code)
}
`,
}

// TestServeForwardsInterrupt: Ctrl-C on `starter serve` reaches the project
// as SIGINT (so it shuts down gracefully, not killed), and starter exits with
// the project's exit code. Real processes: the starter command that
// TestMain puts on PATH, and the fake project it builds.
func TestServeForwardsInterrupt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, data := range fakeProject {
		writeTestFile(t, filepath.Join(dir, name), data)
	}
	for _, exit := range []int{0, 3} {
		t.Run(fmt.Sprint("exit ", exit), func(t *testing.T) {
			cmd := exec.Command("starter", "serve", "--port", "9")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), fmt.Sprint("FAKE_EXIT=", exit))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(stdout)
			if !lines.Scan() || lines.Text() != "fake serve --port 9 ready" {
				cmd.Wait()
				t.Fatalf("first line %q, want the project ready; stderr:\n%s", lines.Text(), &stderr)
			}
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			var rest []string
			for lines.Scan() {
				rest = append(rest, lines.Text())
			}
			err = cmd.Wait()
			if want := "fake: interrupted, shutting down gracefully"; !slices.Equal(rest, []string{want}) {
				t.Errorf("after SIGINT the project printed %q, want %q; stderr:\n%s", rest, want, &stderr)
			}
			if got := exitCodeOf(t, err); got != exit {
				t.Errorf("starter serve exited with %d, want the project's %d; stderr:\n%s", got, exit, &stderr)
			}
		})
	}
}

// exitCodeOf is the exit code of a process that Wait returned err for
// (-1 when a signal ended it).
func exitCodeOf(t *testing.T, err error) int {
	t.Helper()
	var xe *exec.ExitError
	if err != nil && !errors.As(err, &xe) {
		t.Fatal(err)
	}
	if xe != nil {
		return xe.ExitCode()
	}
	return 0
}
