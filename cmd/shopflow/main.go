// Command shopflow runs the Shopflow commerce backend: the REST API, the Temporal worker, both
// together for development, schema migrations, and operator tasks.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	// Embedded zone rules: the report time zone must resolve the same on every worker and
	// container (a distroless image has no /usr/share/zoneinfo), or replays could disagree.
	_ "time/tzdata"

	"github.com/spf13/cobra"

	"shopflow/config"
	"shopflow/tracing"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot(os.Environ(), os.Stdin, os.Stdout, os.Stderr).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "shopflow:", err)
		os.Exit(1)
	}
}

// cli carries what every subcommand needs; subcommands get it instead of reading globals.
type cli struct {
	environ []string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
}

func newRoot(environ []string, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	c := &cli{environ: environ, stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "shopflow",
		Short: "Shopflow: a commerce backend whose long-lived processes run on Temporal",
		Long: `Shopflow: a commerce backend whose long-lived processes run on Temporal.

Configuration comes from SHOPFLOW_* environment variables; see README.md for the full list.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(c.apiCommand(), c.workerCommand(), c.devCommand(), c.migrateCommand(), c.adminCommand(), c.ingestCommand(), c.reportCommand(), c.notifyCommand(), c.temporalCommand(), c.searchCommand())
	return root
}

// loadConfig reads and validates the configuration; errors name the variable at fault.
func (c *cli) loadConfig() (config.Config, error) {
	cfg, err := config.Load(c.environ)
	if err != nil {
		return config.Config{}, fmt.Errorf("configuration:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	return cfg, nil
}

// loadAPIConfig is loadConfig for commands that serve the API, which also needs the JWT secret.
func (c *cli) loadAPIConfig() (config.Config, error) {
	cfg, err := c.loadConfig()
	if err == nil {
		err = cfg.ValidateAPI()
	}
	if err != nil {
		return config.Config{}, fmt.Errorf("configuration:\n  %s", strings.ReplaceAll(strings.TrimPrefix(err.Error(), "configuration:\n  "), "\n", "\n  "))
	}
	return cfg, nil
}

// newLogger builds the process's one logger from the configuration. Lines logged with a
// context carry its trace_id and span_id, and inside an activity its workflow_id, run_id,
// activity_type and attempt (tracing.LogHandler).
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if cfg.LogFormat == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(tracing.NewLogHandler(h))
}

// ignoreCanceled treats shutdown by signal as success.
func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
