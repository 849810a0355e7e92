package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"

	"shopflow/api"
	"shopflow/auth"
	"shopflow/config"
	"shopflow/payment"
	"shopflow/store"
	"shopflow/worker"
	"shopflow/workflows"
)

// app is the wired process: configuration, logger, and open connections to every dependency.
type app struct {
	cfg      config.Config
	log      *slog.Logger
	pool     *pgxpool.Pool
	store    *store.Store
	redis    *redis.Client
	temporal client.Client
	registry *prometheus.Registry
	payments payment.Provider
}

// openApp connects to Postgres and Redis and builds the Temporal client (lazy when the caller
// can live without Temporal for a while, as the API can).
func openApp(ctx context.Context, cfg config.Config, log *slog.Logger, lazyTemporal bool) (*app, error) {
	a := &app{cfg: cfg, log: log, registry: prometheus.NewRegistry()}
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var err error
	if a.pool, err = store.Open(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	a.store = store.New(a.pool)
	ropt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		a.close()
		return nil, fmt.Errorf("SHOPFLOW_REDIS_URL: %w", err)
	}
	a.redis = redis.NewClient(ropt)
	a.payments = newPaymentProvider(cfg, a.pool)
	topts, err := worker.ClientOptions(cfg, log, a.registry)
	if err != nil {
		a.close()
		return nil, err
	}
	if lazyTemporal {
		a.temporal, err = worker.Lazy(topts)
	} else {
		a.temporal, err = worker.Dial(ctx, topts)
	}
	if err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *app) close() {
	if a.temporal != nil {
		a.temporal.Close()
	}
	if a.redis != nil {
		_ = a.redis.Close()
	}
	if a.pool != nil {
		a.pool.Close()
	}
}

// ensureAdmin creates the first admin from SHOPFLOW_ADMIN_EMAIL/PASSWORD when both are set.
func (a *app) ensureAdmin(ctx context.Context, pw *auth.Passwords) error {
	if a.cfg.AdminEmail == "" {
		return nil
	}
	hash, err := pw.Hash(a.cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("SHOPFLOW_ADMIN_PASSWORD: %w", err)
	}
	created, err := a.store.EnsureAdmin(ctx, a.cfg.AdminEmail, hash)
	if err != nil {
		return fmt.Errorf("create admin %s: %w", a.cfg.AdminEmail, err)
	}
	if created {
		a.log.Info("admin account created", "email", a.cfg.AdminEmail)
	}
	return nil
}

// serveAPI runs the HTTP API until ctx is done, then shuts down gracefully: in-flight requests
// get SHOPFLOW_SHUTDOWN_TIMEOUT to finish.
func (a *app) serveAPI(ctx context.Context, ready chan<- string) error {
	pw, err := auth.NewPasswords(a.cfg.BcryptCost)
	if err != nil {
		return err
	}
	if err := a.ensureAdmin(ctx, pw); err != nil {
		return err
	}
	reportFiles, err := worker.ReportConfig(a.cfg).OpenStorage()
	if err != nil {
		return fmt.Errorf("report storage: %w", err)
	}
	gin.SetMode(gin.ReleaseMode)
	srv, err := api.New(api.Deps{
		Config:    a.cfg,
		Store:     a.store,
		Redis:     a.redis,
		Tokens:    &auth.Tokens{Secret: []byte(a.cfg.JWTSecret), Issuer: a.cfg.JWTIssuer, TTL: a.cfg.JWTTTL},
		Passwords: pw,
		Logger:    a.log,
		Registry:  a.registry,
		Checks: []api.Check{
			{Name: "postgres", Probe: a.store.Ping},
			{Name: "redis", Probe: func(ctx context.Context) error { return a.redis.Ping(ctx).Err() }},
			{Name: "temporal", Probe: worker.Healthy(a.temporal)},
		},
		// Eager start pays off when this process also runs the worker (shopflow dev); in
		// shopflow api alone the client has no worker and starts normally.
		Checkouts: &workflows.Checkouts{Client: a.temporal, TaskQueue: a.cfg.TaskQueue, PaymentTimeout: a.cfg.PaymentTimeout,
			EagerStart: true},
		Sandbox: a.devSandbox(),
		Batches: &workflows.Ingests{Client: a.temporal, TaskQueue: a.cfg.TaskQueue},
		Jobs: &workflows.Jobs{Client: a.temporal, TaskQueue: a.cfg.TaskQueue, Window: a.cfg.TopSellersWindow, N: a.cfg.TopSellersN,
			RankChangeThreshold: a.cfg.DigestRankChange},
		Reports:     &workflows.ReportJobs{Client: a.temporal, TaskQueue: a.cfg.TaskQueue, DigestBatchSize: a.cfg.DigestBatchSize, DigestConcurrency: a.cfg.DigestConcurrency},
		ReportFiles: reportFiles,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (SHOPFLOW_HTTP_ADDR): %w", a.cfg.HTTPAddr, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	a.log.Info("api listening", "addr", ln.Addr().String())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("api shutting down", "timeout", a.cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down http server: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// runWorker runs the Temporal worker until ctx is done.
func (a *app) runWorker(ctx context.Context) error {
	return worker.Run(ctx, worker.Deps{Config: a.cfg, Client: a.temporal, Store: a.store, Payments: a.payments, Redis: a.redis, Logger: a.log})
}

// newPaymentProvider picks Stripe when configured, else the built-in sandbox.
func newPaymentProvider(cfg config.Config, pool *pgxpool.Pool) payment.Provider {
	if cfg.Provider() == config.ProviderStripe {
		return payment.NewStripe(payment.StripeConfig{SecretKey: cfg.StripeSecretKey, BackendURL: cfg.StripeAPIURL})
	}
	return &payment.Sandbox{Pool: pool}
}

// devSandbox is the sandbox behind the dev-only payment endpoint, when that is enabled.
func (a *app) devSandbox() *payment.Sandbox {
	sb, ok := a.payments.(*payment.Sandbox)
	if !a.cfg.DevEndpoints || !ok {
		return nil
	}
	return sb
}
