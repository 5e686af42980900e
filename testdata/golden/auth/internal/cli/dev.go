package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"example.com/demo/internal/buildinfo"
	"example.com/demo/internal/database"
)

// devPoll is how often `dev` looks for changed files.
const devPoll = 500 * time.Millisecond

func newDevCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run serve, rebuilt and restarted whenever a source file changes (development)",
		Long: "Build ./cmd/" + buildinfo.Name + ", run it as `serve` and watch the project: when a Go file (tests aside), a\n" +
			"migration, a YAML file, go.mod or .env changes, build again and restart serve once the build succeeds (a\n" +
			"failed build leaves the running server alone). Without DATABASE_URL the local PostgreSQL is started once\n" +
			"and kept across restarts. Run it from the project's root; development and test only.",
		Args: usage(cobra.NoArgs),
	}
	port := cmd.Flags().Int("port", 0, "HTTP port (overrides PORT)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		serveArgs := []string{"serve"}
		flags := map[string]any{}
		if cmd.Flags().Changed("port") {
			flags["port"] = *port
			serveArgs = append(serveArgs, "--port", strconv.Itoa(*port))
		}
		return e.dev(cmd.Context(), flags, serveArgs)
	}
	return cmd
}

func (e *env) dev(ctx context.Context, flags map[string]any, serveArgs []string) (err error) {
	cfg, err := e.loadConfig(flags)
	if err != nil {
		return err
	}
	if cfg.IsProduction() {
		return errors.New("dev: runs in development and test only (APP_ENV=production)")
	}
	url, stopDB, err := database.DefaultDatabase(ctx, cfg, e.stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopDB(context.WithoutCancel(ctx))) }()
	dir, err := os.MkdirTemp("", buildinfo.Name+"-dev-")
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	defer os.RemoveAll(dir)
	childEnv := append(e.environ(os.Environ()), "DATABASE_URL="+url)
	loop := devLoop{
		build: func(ctx context.Context, n int) (string, error) {
			return goBuild(ctx, filepath.Join(dir, buildinfo.Name+"-"+strconv.Itoa(n)), e.stderr)
		},
		start: func(binary string) (stopper, error) {
			// The server gets its shutdown timeout, and a little more, before a kill.
			return startChild(binary, serveArgs, childEnv, e, cfg.ShutdownTimeout+5*time.Second)
		},
		changes: watch(ctx, ".", devPoll),
		log:     e.stderr,
	}
	return loop.run(ctx)
}

// devLoop builds and starts a server, then rebuilds and restarts it on every
// change it is told of. A failed build keeps the running server.
type devLoop struct {
	// build builds the nth binary and returns its path.
	build func(ctx context.Context, n int) (string, error)
	// start runs a binary as the server.
	start   func(binary string) (stopper, error)
	changes <-chan struct{}
	log     io.Writer
}

// stopper is a running server.
type stopper interface {
	// stop ends the server and waits for it.
	stop() error
}

// run returns nil when ctx ends, after stopping the server.
func (d *devLoop) run(ctx context.Context) error {
	var current stopper
	for n := 1; ; n++ {
		current = d.restart(ctx, n, current)
		select {
		case <-ctx.Done():
			if current != nil {
				d.report(current.stop())
			}
			return nil
		case <-d.changes:
		}
	}
}

// restart builds, then replaces current with the new binary; it returns the
// server now running, if any.
func (d *devLoop) restart(ctx context.Context, n int, current stopper) stopper {
	binary, err := d.build(ctx, n)
	if err != nil {
		fmt.Fprintf(d.log, "dev: build failed (%v); waiting for a change\n", err)
		return current
	}
	if current != nil {
		d.report(current.stop())
	}
	next, err := d.start(binary)
	if err != nil {
		fmt.Fprintf(d.log, "dev: %v; waiting for a change\n", err)
		return nil
	}
	return next
}

func (d *devLoop) report(err error) {
	if err != nil {
		fmt.Fprintf(d.log, "dev: %v\n", err)
	}
}

// goBuild builds the project's command into out (out.exe on Windows); the
// compiler's messages go to log.
func goBuild(ctx context.Context, out string, log io.Writer) (string, error) {
	if runtime.GOOS == "windows" {
		out += ".exe"
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/"+buildinfo.Name)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build: %w", err)
	}
	return out, nil
}

// child is a server started by dev.
type child struct {
	cmd      *exec.Cmd
	binary   string
	grace    time.Duration
	done     chan struct{} // closed when the process has exited
	stopping atomic.Bool
}

func startChild(binary string, args, environ []string, e *env, grace time.Duration) (*child, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = environ, e.stdout, e.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	c := &child{cmd: cmd, binary: binary, grace: grace, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		if !c.stopping.Load() {
			fmt.Fprintf(e.stderr, "dev: serve exited (%v); waiting for a change\n", err)
		}
		close(c.done)
	}()
	return c, nil
}

// stop interrupts the server, which shuts down gracefully, and kills it when
// it outlives its grace or cannot be interrupted (Windows has no SIGINT for
// another process); then it removes the binary.
func (c *child) stop() error {
	c.stopping.Store(true)
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
		_ = c.cmd.Process.Kill()
	}
	timer := time.NewTimer(c.grace)
	defer timer.Stop()
	select {
	case <-c.done:
	case <-timer.C:
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	return os.Remove(c.binary)
}
