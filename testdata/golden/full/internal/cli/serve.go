package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"example.com/demo/internal/app"
	"example.com/demo/internal/database"
)

func newServeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP API",
		Long: "Run the HTTP API until SIGINT or SIGTERM, then shut down gracefully.\n" +
			"Without DATABASE_URL (development and test only) a local PostgreSQL is started in the data directory.",
		Args: usage(cobra.NoArgs),
	}
	port := cmd.Flags().Int("port", 0, "HTTP port (overrides PORT)")
	features := featureServeFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		flags := map[string]any{}
		if cmd.Flags().Changed("port") {
			flags["port"] = *port
		}
		for _, set := range features {
			set(flags)
		}
		return e.serve(cmd.Context(), flags)
	}
	return cmd
}

func (e *env) serve(ctx context.Context, flags map[string]any) (err error) {
	cfg, err := e.loadConfig(flags)
	if err != nil {
		return err
	}
	url, stopDB, err := database.DefaultDatabase(ctx, cfg, e.stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopDB(context.WithoutCancel(ctx))) }()
	cfg.DatabaseURL = url
	if cfg.AutoMigrate {
		fmt.Fprintln(e.stderr, "migrating…")
	}
	// Request logs are batched: one write per 100ms instead of one per request.
	logs := app.NewLogWriter(e.stderr, 100*time.Millisecond)
	defer logs.Close()
	a, err := app.New(ctx, cfg, app.NewLogger(logs, cfg.LogLevel))
	if err != nil {
		return err
	}
	defer a.Close()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr())
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Fprintf(e.stderr, "listening on http://%s\n", displayAddr(ln.Addr()))
	return a.Serve(ctx, ln)
}

// displayAddr shows a wildcard listen address as localhost, which a browser can open.
func displayAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return fmt.Sprintf("localhost:%d", tcp.Port)
}
