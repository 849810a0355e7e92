// Package app builds the whole of Shopflow from config.Config, once: connections to Postgres,
// Redis and Temporal, the payment provider, the notifier, report storage, the API server and the
// worker with its registrations. cmd/shopflow, the end-to-end tests and the benchmarks all
// assemble the system here, so what they run is what production runs.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"

	"shopflow/auth"
	"shopflow/config"
	"shopflow/notify"
	"shopflow/payment"
	"shopflow/report"
	"shopflow/search"
	pgsearch "shopflow/search/postgres"
	"shopflow/store"
	"shopflow/tracing"
	"shopflow/worker"
)

// Options say how to reach Temporal and where to log; everything else comes from config.
type Options struct {
	// Logger receives every component's logs; nil discards them.
	Logger *slog.Logger
	// Temporal, when set, is used instead of dialing SHOPFLOW_TEMPORAL_ADDRESS (tests share one
	// dev server's client). The App does not close it.
	Temporal client.Client
	// LazyTemporal connects on first use, so the API can start (and say it is not ready) while
	// Temporal is still coming up.
	LazyTemporal bool
	// NoTemporal builds the App without a Temporal client: the API's tests run it that way,
	// with fakes for the workflow-backed dependencies.
	NoTemporal bool
	// TracerProvider, when set, traces the App's components instead of the OTLP exporter of
	// SHOPFLOW_OTLP_ENDPOINT (tests record spans in memory). The caller shuts it down.
	TracerProvider trace.TracerProvider
}

// App is Shopflow wired: open connections and the components built on them.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	Pool     *pgxpool.Pool
	Store    *store.Store
	Redis    redis.UniversalClient
	Temporal client.Client
	// Registry holds the process's metrics (Go runtime, Temporal SDK, HTTP) for /metrics.
	Registry  *prometheus.Registry
	Payments  payment.Provider
	Notifier  *notify.Service
	Passwords *auth.Passwords
	Tokens    *auth.Tokens
	// ReportFiles is where daily reports are written and read.
	ReportFiles report.Storage
	// ReportZone is the time zone whose days reports cover (SHOPFLOW_REPORTS_TIMEZONE).
	ReportZone *time.Location
	// Searcher answers searches; SearchIndex is Elasticsearch's index (nil with the postgres
	// backend); SearchCatalog reads products as documents.
	Searcher      search.Searcher
	SearchIndex   search.Index
	SearchCatalog *pgsearch.Catalog

	ownTemporal bool
	tracing     tracingState
}

// Open connects to every dependency and builds the components. On error nothing stays open.
func Open(ctx context.Context, cfg config.Config, opts Options) (_ *App, err error) {
	if cfg.Provider() == "" {
		return nil, ErrNoPaymentProvider // before any connection: a deploy this wrong fails at once
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &App{Config: cfg, Log: log, Registry: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := a.startTracing(ctx, opts); err != nil {
		return nil, err
	}
	if a.Pool, err = store.Open(ctx, cfg.DatabaseURL, a.queryTracer()); err != nil {
		return nil, err
	}
	a.Store = store.New(a.Pool)
	a.Store.PricesIncludeTax = cfg.PricesIncludeTax
	if err := a.openReplicas(ctx); err != nil {
		return nil, err
	}
	if a.Redis, err = openRedis(cfg); err != nil {
		return nil, err
	}
	if err := a.instrumentRedis(); err != nil {
		return nil, err
	}
	if err := a.buildComponents(); err != nil {
		return nil, err
	}
	if err := a.connectTemporal(ctx, opts); err != nil {
		return nil, err
	}
	return a, nil
}

// buildComponents builds what needs no network: payments, notifier, passwords, tokens, reports.
func (a *App) buildComponents() error {
	cfg := a.Config
	var err error
	if a.Payments, err = newPaymentProvider(cfg, a.Pool, a.Log, a.tracing.provider); err != nil {
		return err
	}
	if a.Notifier, err = notify.NewServiceFromConfig(notifyConfig(cfg), a.Store, a.Redis, cfg.RedisPrefix, a.Log); err != nil {
		return fmt.Errorf("notification channels: %w", err)
	}
	if a.Notifier.Metrics, err = notify.NewPrometheusMetrics(a.Registry); err != nil {
		return err
	}
	if a.Passwords, err = auth.NewPasswords(cfg.BcryptCost); err != nil {
		return err
	}
	a.Tokens = &auth.Tokens{Secret: []byte(cfg.JWTSecret), Issuer: cfg.JWTIssuer, TTL: cfg.AccessTokenTTL}
	rc := ReportConfig(cfg)
	if a.ReportFiles, err = rc.OpenStorage(); err != nil {
		return fmt.Errorf("report storage: %w", err)
	}
	if a.ReportZone, err = rc.Location(); err != nil {
		return err
	}
	return a.buildSearch()
}

func (a *App) connectTemporal(ctx context.Context, opts Options) error {
	if opts.Temporal != nil || opts.NoTemporal {
		a.Temporal = opts.Temporal
		return a.traceTemporal(ctx)
	}
	var err error
	a.Temporal, err = DialTemporal(ctx, a.Config, a.Log, a.Registry, a.temporalInterceptors(), opts.LazyTemporal)
	a.ownTemporal = err == nil
	return err
}

// DialTemporal builds the Temporal client from config, with the SDK's metrics in reg; lazy
// connects on first use. Commands that need Temporal alone (`shopflow temporal setup`) use it.
func DialTemporal(ctx context.Context, cfg config.Config, log *slog.Logger, reg prometheus.Registerer,
	interceptors []interceptor.ClientInterceptor, lazy bool) (client.Client, error) {
	topts, err := worker.ClientOptions(cfg, log, reg, interceptors)
	if err != nil {
		return nil, err
	}
	if lazy {
		return worker.Lazy(topts)
	}
	return worker.Dial(ctx, topts)
}

// Close closes every connection the App opened.
func (a *App) Close() {
	if a.Temporal != nil && a.ownTemporal {
		a.Temporal.Close()
	}
	if a.Redis != nil {
		_ = a.Redis.Close()
	}
	a.closeReplicas() // its lag checker reads the primary: stop it first
	if a.Pool != nil {
		a.Pool.Close()
	}
	a.stopTracing()
}

// EnsureAdmin creates the first admin from SHOPFLOW_ADMIN_EMAIL/PASSWORD when both are set.
func (a *App) EnsureAdmin(ctx context.Context) error {
	if a.Config.AdminEmail == "" {
		return nil
	}
	hash, err := a.Passwords.Hash(a.Config.AdminPassword)
	if err != nil {
		return fmt.Errorf("SHOPFLOW_ADMIN_PASSWORD: %w", err)
	}
	created, err := a.Store.EnsureAdmin(ctx, a.Config.AdminEmail, hash)
	if err != nil {
		return fmt.Errorf("create admin %s: %w", a.Config.AdminEmail, err)
	}
	if created {
		a.Log.Info("admin account created", "email", a.Config.AdminEmail)
	}
	return nil
}

// ErrNoPaymentProvider is Open's answer when SHOPFLOW_PAYMENT_PROVIDER is not set.
var ErrNoPaymentProvider = errors.New("SHOPFLOW_PAYMENT_PROVIDER is not set: choose stripe (real charges) or sandbox " +
	"(no money moves: development and tests only)")

// newPaymentProvider builds the provider chosen in config; there is no default, so a missing
// Stripe secret can never quietly turn into orders placed without payment. With tracing on (tp
// not nil), each payment call is a span, and Stripe's HTTP requests are spans under it.
func newPaymentProvider(cfg config.Config, pool *pgxpool.Pool, log *slog.Logger, tp trace.TracerProvider) (payment.Provider, error) {
	var tracer trace.Tracer
	if tp != nil {
		tracer = tp.Tracer("shopflow/payment")
	}
	switch cfg.Provider() {
	case config.ProviderStripe:
		sc := payment.StripeConfig{SecretKey: cfg.StripeSecretKey, BackendURL: cfg.StripeAPIURL, Tracer: tracer}
		if tp != nil {
			sc.HTTPClient = tracing.HTTPClient(tp, payment.StripeTimeout)
		}
		return payment.NewStripe(sc), nil
	case config.ProviderSandbox:
		log.Warn("payments: the sandbox provider is in use; orders are placed without taking money (SHOPFLOW_PAYMENT_PROVIDER=sandbox)")
		return &payment.Sandbox{Pool: pool, Tracer: tracer}, nil
	}
	return nil, ErrNoPaymentProvider
}
