package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"shopflow/app"
	"shopflow/auth"
	"shopflow/config"
	"shopflow/demo"
	"shopflow/migrations"
	pgsearch "shopflow/search/postgres"
	"shopflow/store"
)

func (c *cli) apiCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "api",
		Short: "Serve the REST API (/api/v1, /healthz, /readyz, /metrics, /docs)",
		Long: `Serve the REST API on SHOPFLOW_HTTP_ADDR until SIGINT or SIGTERM, then drain in-flight
requests for up to SHOPFLOW_SHUTDOWN_TIMEOUT. SHOPFLOW_PAYMENT_PROVIDER must be set (stripe or
sandbox). The API starts even when Temporal is not up yet;
/readyz reports 503 until every dependency answers. Migrations are not run: use 'shopflow migrate up'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadAPIConfig()
			if err != nil {
				return err
			}
			a, err := app.Open(cmd.Context(), cfg, app.Options{Logger: newLogger(cfg, c.stderr), LazyTemporal: true})
			if err != nil {
				return err
			}
			defer a.Close()
			ln, err := listen(cfg.HTTPAddr)
			if err != nil {
				return err
			}
			return ignoreCanceled(a.ServeAPI(cmd.Context(), ln))
		},
	}
}

func (c *cli) workerCommand() *cobra.Command {
	var queues string
	cmd := &cobra.Command{
		Use:   "worker [--queues checkout,batch]",
		Short: "Run the Temporal workers of the checkout and/or batch task queue",
		Long: `Connect to Temporal at SHOPFLOW_TEMPORAL_ADDRESS and run a worker for each task queue named by
--queues (default SHOPFLOW_WORKER_QUEUES, itself "checkout,batch"): "checkout" polls
SHOPFLOW_TASK_QUEUE (checkout sagas, fraud review, cancellations, refunds, returns, order
notifications, the reservation sweep), "batch" polls SHOPFLOW_BATCH_TASK_QUEUE (ingest, top
sellers, recommendations, reports, digests, search indexing, promotions, audit retention, data
exports and erasures, housekeeping). Each worker registers only its queue's workflows and
activities, so checkout-only processes never run batch work; scale each queue's processes on
its own. Runs until SIGINT or SIGTERM, then gives running activities up to
SHOPFLOW_SHUTDOWN_TIMEOUT to finish and stops. SHOPFLOW_PAYMENT_PROVIDER must be set (stripe or
sandbox). Schedules and search attributes are a deploy step, not the worker's: run
'shopflow temporal setup' first (the worker needs no admin rights). With SHOPFLOW_WORKER_BUILD_ID
set, the checkout worker is that build of SHOPFLOW_WORKER_DEPLOYMENT (Temporal Worker
Versioning): new sagas reach it once 'shopflow temporal deploy promote --build ID' runs.`,
		Example: `  shopflow worker                     # both queues (SHOPFLOW_WORKER_QUEUES)
  shopflow worker --queues checkout   # sagas only
  shopflow worker --queues batch      # batch work only`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("queues") {
				// Last wins in config.Load, and the flag goes through the same validation.
				c.environ = append(c.environ, "SHOPFLOW_WORKER_QUEUES="+queues)
			}
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			a, err := app.Open(cmd.Context(), cfg, app.Options{Logger: newLogger(cfg, c.stderr)})
			if err != nil {
				return err
			}
			defer a.Close()
			return ignoreCanceled(a.RunWorker(cmd.Context()))
		},
	}
	cmd.Flags().StringVar(&queues, "queues", "", `task queues to serve, comma-separated: "checkout", "batch" or both (overrides SHOPFLOW_WORKER_QUEUES)`)
	return cmd
}

func (c *cli) devCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "dev",
		Short: "Run API and worker in one process, with migrations and demo data (development only)",
		Long: `For development: create the database if it is missing, apply migrations, seed a demo
catalog when there are no products, set up Temporal ('shopflow temporal setup'), then run the
API and the workers of both task queues (checkout and batch) in one process.

Without SHOPFLOW_JWT_SECRET a random secret is generated (tokens die with the process), and
without SHOPFLOW_PAYMENT_PROVIDER the sandbox is used (no money moves).
Expects a Temporal server at SHOPFLOW_TEMPORAL_ADDRESS: 'make dev' starts one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			// Development defaults go first so anything set in the environment still wins.
			c.environ = append([]string{"SHOPFLOW_LOG_FORMAT=text", "SHOPFLOW_DEV_ENDPOINTS=true", "SHOPFLOW_PAYMENT_PROVIDER=sandbox",
				"SHOPFLOW_JWT_SECRET=" + randomSecret()}, c.environ...)
			// One process does everything in development: both queues, whatever the environment says.
			c.environ = append(c.environ, "SHOPFLOW_WORKER_QUEUES="+config.QueueCheckout+","+config.QueueBatch)
			cfg, err := c.loadAPIConfig()
			if err != nil {
				return err
			}
			log := newLogger(cfg, c.stderr)
			if err := ensureDatabase(ctx, cfg.DatabaseURL); err != nil {
				return err
			}
			pool, err := store.Open(ctx, cfg.DatabaseURL, nil)
			if err != nil {
				return err
			}
			err = migrations.Apply(ctx, pool, log)
			if err == nil {
				_, err = demo.Seed(ctx, pool, log)
			}
			if err == nil {
				// The demo's words join the typo vocabulary now, not at the next hourly refresh.
				err = (&pgsearch.Catalog{Pool: pool}).RefreshTerms(ctx)
			}
			pool.Close()
			if err != nil {
				return err
			}
			a, err := app.Open(ctx, cfg, app.Options{Logger: log})
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.SetupTemporal(ctx); err != nil {
				return err
			}
			ln, err := listen(cfg.HTTPAddr)
			if err != nil {
				return err
			}
			g, gctx := errgroup.WithContext(ctx)
			g.Go(func() error { return a.ServeAPI(gctx, ln) })
			g.Go(func() error { return a.RunWorker(gctx) })
			addr := ln.Addr().String()
			fmt.Fprintf(c.stdout, "\nShopflow is running:\n  API       http://%s/api/v1\n  API docs  http://%s/docs/\n  Metrics   http://%s/metrics\n  Ready     http://%s/readyz\n",
				addr, addr, addr, addr)
			if cfg.WorkerHTTPAddr != "" {
				fmt.Fprintf(c.stdout, "  Worker    http://%s/healthz\n", cfg.WorkerHTTPAddr)
			}
			fmt.Fprintf(c.stdout, "  Queues    %s (checkout), %s (batch)\n\n", cfg.TaskQueue, cfg.BatchTaskQueue)
			return ignoreCanceled(g.Wait())
		},
	}
}

func (c *cli) migrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply, roll back or list the embedded schema migrations",
		Long:  "Manage the schema of the database at SHOPFLOW_DATABASE_URL with the SQL migrations built into this binary.",
	}
	withMigrator := func(run func(ctx context.Context, m *migrations.Migrator, log *slog.Logger) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			log := newLogger(cfg, c.stderr)
			pool, err := store.Open(cmd.Context(), cfg.DatabaseURL, nil)
			if err != nil {
				return err
			}
			defer pool.Close()
			m, err := migrations.New(pool)
			if err != nil {
				return err
			}
			defer m.Close()
			return run(cmd.Context(), m, log)
		}
	}
	var all bool
	down := &cobra.Command{
		Use:   "down",
		Short: "Roll back the newest migration (--all: every migration, dropping all data)",
		Args:  cobra.NoArgs,
		RunE: withMigrator(func(ctx context.Context, m *migrations.Migrator, log *slog.Logger) error {
			return m.Down(ctx, all, log)
		}),
	}
	down.Flags().BoolVar(&all, "all", false, "roll back every migration")
	cmd.AddCommand(
		&cobra.Command{
			Use:   "up",
			Short: "Apply every pending migration",
			Args:  cobra.NoArgs,
			RunE: withMigrator(func(ctx context.Context, m *migrations.Migrator, log *slog.Logger) error {
				return m.Up(ctx, log)
			}),
		},
		down,
		&cobra.Command{
			Use:   "status",
			Short: "List every migration and whether it is applied",
			Args:  cobra.NoArgs,
			RunE: withMigrator(func(ctx context.Context, m *migrations.Migrator, _ *slog.Logger) error {
				return m.Status(ctx, c.stdout)
			}),
		},
	)
	return cmd
}

func (c *cli) adminCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "admin", Short: "Operator tasks: admin accounts and API keys"}
	var email string
	create := &cobra.Command{
		Use:   "create --email EMAIL",
		Short: "Create an admin account (password from SHOPFLOW_ADMIN_PASSWORD or standard input)",
		Long: `Create an admin account. The password is read from SHOPFLOW_ADMIN_PASSWORD when set,
otherwise as the first line of standard input (so it never appears in the process list).
An existing account with that email is left unchanged.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			password := cfg.AdminPassword
			if password == "" {
				fmt.Fprint(c.stderr, "admin password: ")
				line, err := bufio.NewReader(c.stdin).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("read password from standard input: %w", err)
				}
				password = strings.TrimRight(line, "\r\n")
			}
			if len(password) < 12 {
				return fmt.Errorf("admin password must be at least 12 characters")
			}
			pw, err := auth.NewPasswords(cfg.BcryptCost)
			if err != nil {
				return err
			}
			hash, err := pw.Hash(password)
			if err != nil {
				return err
			}
			pool, err := store.Open(cmd.Context(), cfg.DatabaseURL, nil)
			if err != nil {
				return err
			}
			defer pool.Close()
			created, err := store.New(pool).EnsureAdmin(cmd.Context(), email, hash)
			if err != nil {
				return err
			}
			if created {
				fmt.Fprintf(c.stdout, "admin %s created\n", email)
			} else {
				fmt.Fprintf(c.stdout, "admin %s already exists; left unchanged\n", email)
			}
			return nil
		},
	}
	create.Flags().StringVar(&email, "email", "", "email of the new admin (required)")
	_ = create.MarkFlagRequired("email")
	cmd.AddCommand(create, c.apiKeyCommand())
	return cmd
}

// listen opens the API's listening socket before anything is served, so a taken port fails
// the command at once.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (SHOPFLOW_HTTP_ADDR): %w", addr, err)
	}
	return ln, nil
}

// ensureDatabase creates the database named in databaseURL when it does not exist, connecting
// to the server's maintenance database to do so. Development only.
func ensureDatabase(ctx context.Context, databaseURL string) error {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return fmt.Errorf("SHOPFLOW_DATABASE_URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return fmt.Errorf("SHOPFLOW_DATABASE_URL names no database")
	}
	maint := *u
	maint.Path = "/postgres"
	// pool_* settings are the pool's (pgxpool), which a single connection refuses.
	q := maint.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	maint.RawQuery = q.Encode()
	conn, err := pgx.Connect(ctx, maint.String())
	if err != nil {
		return fmt.Errorf("connect to postgres to create database %s: %w", name, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
