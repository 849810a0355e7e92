package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"shopflow/api"
	"shopflow/payment"
	"shopflow/search"
	"shopflow/worker"
	"shopflow/workflows"
)

// API builds the API server on the App's components. Each adjust function may change the
// dependencies before the server is built; tests use it to put fakes in place of Temporal.
func (a *App) API(adjust ...func(*api.Deps)) (*api.Server, error) {
	d := a.apiDeps()
	for _, f := range adjust {
		f(&d)
	}
	return api.New(d)
}

func (a *App) apiDeps() api.Deps {
	cfg := a.Config
	d := api.Deps{
		Config:    cfg,
		Store:     a.Store,
		Redis:     a.Redis,
		Tokens:    a.Tokens,
		Passwords: a.Passwords,
		Logger:    a.Log,
		// Traces each request into the workflows it starts; nil (no spans) when tracing is off.
		TracerProvider: a.TracerProvider(),
		Registry:       a.Registry,
		Sandbox:        a.devSandbox(),
		ReportFiles:    a.ReportFiles,
		Search:         a.Searcher,
		SearchCache:    search.NewCache(cfg.SearchCacheTTL, a.Redis, cfg.RedisPrefix, a.Log),
		// Recommendations: lists from Redis, filtered against Postgres (app/recommend.go).
		Recommendations: a.recommendations(),
		Checks: []api.Check{
			{Name: "postgres", Probe: a.Store.Ping},
			{Name: "redis", Probe: func(ctx context.Context) error { return a.Redis.Ping(ctx).Err() }},
		},
	}
	if a.Temporal == nil {
		return d
	}
	d.Checks = append(d.Checks, api.Check{Name: "temporal", Probe: worker.Healthy(a.Temporal)})
	// Eager start pays off where this process also runs the worker (shopflow dev); where it
	// does not, the server starts the saga normally.
	checkouts := &workflows.Checkouts{Client: a.Temporal, TaskQueue: cfg.TaskQueue, PaymentTimeout: cfg.PaymentTimeout,
		FraudReviewTimeout: cfg.FraudReviewTimeout, EagerStart: true}
	d.Checkouts, d.FraudReviews = checkouts, checkouts
	d.Batches = &workflows.Ingests{Client: a.Temporal, TaskQueue: cfg.BatchTaskQueue}
	jobs := &workflows.Jobs{Client: a.Temporal, TaskQueue: cfg.BatchTaskQueue, Window: cfg.TopSellersWindow, N: cfg.TopSellersN,
		RankChangeThreshold: cfg.DigestRankChange}
	d.Jobs, d.SearchJobs = jobs, jobs
	d.Reports = &workflows.ReportJobs{Client: a.Temporal, TaskQueue: cfg.BatchTaskQueue,
		DigestBatchSize: cfg.DigestBatchSize, DigestConcurrency: cfg.DigestConcurrency}
	d.Announcer = &workflows.Promotions{Client: a.Temporal, TaskQueue: cfg.BatchTaskQueue, BatchSize: cfg.PromotionBatchSize}
	d.Returns = &workflows.Returns{Client: a.Temporal, TaskQueue: cfg.TaskQueue, ShipWindow: cfg.ReturnShipWindow}
	d.Refunds = &workflows.Refunds{Client: a.Temporal, TaskQueue: cfg.TaskQueue}
	d.DataRights = &workflows.DataRights{Client: a.Temporal, TaskQueue: cfg.BatchTaskQueue, LinkTTL: cfg.ExportLinkTTL}
	return d
}

// devSandbox is the sandbox behind the dev-only payment endpoint, when that is enabled.
func (a *App) devSandbox() *payment.Sandbox {
	sb, ok := a.Payments.(*payment.Sandbox)
	if !a.Config.DevEndpoints || !ok {
		return nil
	}
	return sb
}

// NewHTTPServer is the http.Server production serves h with: timeouts against slow clients,
// and request contexts that outlive ctx's cancellation so a shutdown drains them.
func NewHTTPServer(ctx context.Context, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}

// ServeAPI serves the API on ln until ctx is done, then shuts down gracefully: in-flight
// requests get SHOPFLOW_SHUTDOWN_TIMEOUT to finish.
func (a *App) ServeAPI(ctx context.Context, ln net.Listener) error {
	if err := a.EnsureAdmin(ctx); err != nil {
		return err
	}
	srv, err := a.API()
	if err != nil {
		return err
	}
	hs := NewHTTPServer(ctx, srv.Handler())
	a.Log.Info("api listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	a.Log.Info("api shutting down", "timeout", a.Config.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.Config.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down http server: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
