package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/api"
	"shopflow/auth"
	"shopflow/config"
	"shopflow/payment"
	"shopflow/store"
	"shopflow/worker"
	"shopflow/workflows"
)

// app is Shopflow wired as cmd/shopflow wires `shopflow dev`: one pool, one store, one Redis
// client, one Temporal client with SDK metrics in the process registry, the sandbox payment
// provider, the worker on the configured task queue, and the API served by net/http.
type app struct {
	cfg      config.Config
	log      *slog.Logger
	pool     *pgxpool.Pool
	store    *store.Store
	redis    *redis.Client
	temporal client.Client
	registry *prometheus.Registry
	payments *payment.Sandbox
	worker   sdkworker.Worker
	http     *http.Server
	// sagas is what the API starts checkout sagas with.
	sagas api.CheckoutSagas
	// BaseURL is the API's root, http://127.0.0.1:port.
	BaseURL string
}

// appOptions are the knobs the benchmark may turn away from production defaults, each one a
// candidate production change to measure.
type appOptions struct {
	// OwnServer: the benchmark started Temporal, so the worker may create its Schedules there.
	OwnServer bool
	// EagerStart starts checkout sagas with EnableEagerStart (workflows.Checkouts.EagerStart).
	EagerStart bool
	// Worker knobs; all zero keeps worker.New (production: sdkworker.Options{}).
	Worker workerKnobs
}

// workerKnobs are the sdkworker.Options the benchmark can set; zero keeps the SDK default.
type workerKnobs struct {
	WorkflowTaskPollers, ActivityTaskPollers int
	WorkflowTaskSlots, LocalActivitySlots    int
	// PollerAutoscaling lets the SDK scale pollers with the backlog (default 1..100, 5 to start).
	PollerAutoscaling bool
}

// Options are the SDK worker options with these knobs applied.
func (k workerKnobs) Options() sdkworker.Options {
	o := sdkworker.Options{
		MaxConcurrentWorkflowTaskPollers:        k.WorkflowTaskPollers,
		MaxConcurrentActivityTaskPollers:        k.ActivityTaskPollers,
		MaxConcurrentWorkflowTaskExecutionSize:  k.WorkflowTaskSlots,
		MaxConcurrentLocalActivityExecutionSize: k.LocalActivitySlots,
	}
	if k.PollerAutoscaling {
		o.WorkflowTaskPollerBehavior = sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{})
		o.ActivityTaskPollerBehavior = sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{})
	}
	return o
}

// String describes the knobs that are set, or "SDK defaults".
func (k workerKnobs) String() string {
	var parts []string
	for _, f := range []struct {
		name string
		v    int
	}{{"MaxConcurrentWorkflowTaskPollers", k.WorkflowTaskPollers}, {"MaxConcurrentActivityTaskPollers", k.ActivityTaskPollers},
		{"MaxConcurrentWorkflowTaskExecutionSize", k.WorkflowTaskSlots}, {"MaxConcurrentLocalActivityExecutionSize", k.LocalActivitySlots}} {
		if f.v > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", f.name, f.v))
		}
	}
	if k.PollerAutoscaling {
		parts = append(parts, "Workflow/ActivityTaskPollerBehavior=NewPollerBehaviorAutoscaling(defaults)")
	}
	if len(parts) == 0 {
		return "SDK defaults (worker.New)"
	}
	return strings.Join(parts, ", ")
}

// benchConfig is the configuration the benchmark runs Shopflow with: the production defaults
// from config.Load except for the addresses of this run's dependencies, a random JWT secret,
// bcrypt cost 4 (registration is set-up, not measured), and a login limit high enough for the
// run's customers to log in from one IP.
func benchConfig(databaseURL, redisURL, temporalAddress, namespace string, customers int) (config.Config, error) {
	suffix := randomHex(5)
	return config.Load([]string{
		"SHOPFLOW_DATABASE_URL=" + databaseURL,
		"SHOPFLOW_REDIS_URL=" + redisURL,
		"SHOPFLOW_REDIS_PREFIX=shopflow-bench-" + suffix + ":",
		"SHOPFLOW_TEMPORAL_ADDRESS=" + temporalAddress,
		"SHOPFLOW_TEMPORAL_NAMESPACE=" + namespace,
		"SHOPFLOW_TASK_QUEUE=shopflow-bench-" + suffix,
		"SHOPFLOW_HTTP_ADDR=127.0.0.1:0",
		"SHOPFLOW_JWT_SECRET=" + randomHex(32),
		"SHOPFLOW_BCRYPT_COST=4",
		"SHOPFLOW_PAYMENT_PROVIDER=sandbox",
		"SHOPFLOW_LOGIN_LIMIT_PER_IP=" + itoa(max(50, 2*customers)),
	})
}

// startApp opens the connections, starts the worker and serves the API on 127.0.0.1.
func startApp(ctx context.Context, cfg config.Config, log *slog.Logger, opts appOptions) (*app, error) {
	a := &app{cfg: cfg, log: log, registry: prometheus.NewRegistry()}
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()
	var err error
	if a.pool, err = store.Open(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	a.store = store.New(a.pool)
	ropt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	a.redis = redis.NewClient(ropt)
	if err := a.redis.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redis at %s: %w", ropt.Addr, err)
	}
	a.payments = &payment.Sandbox{Pool: a.pool}
	topts, err := worker.ClientOptions(cfg, log, a.registry)
	if err != nil {
		return nil, err
	}
	if a.temporal, err = worker.Dial(ctx, topts); err != nil {
		return nil, err
	}
	if err := a.startWorker(ctx, opts); err != nil {
		return nil, err
	}
	if err := a.serveAPI(opts); err != nil {
		return nil, err
	}
	ok = true
	return a, nil
}

// startWorker does what worker.Run does before it blocks: search attributes, Schedules (only
// on a server this run owns: on a shared one they would be re-pointed at this run's queue),
// then worker.New. With worker knobs set it builds a tuned worker instead (newTunedWorker).
func (a *app) startWorker(ctx context.Context, opts appOptions) error {
	if err := worker.EnsureSearchAttributes(ctx, a.temporal, a.cfg.TemporalNamespace); err != nil {
		return err
	}
	tuned := opts.Worker != (workerKnobs{})
	if opts.OwnServer && !tuned {
		if err := worker.EnsureSchedules(ctx, a.temporal, a.cfg); err != nil {
			return err
		}
	}
	if tuned {
		a.worker = newTunedWorker(a, opts.Worker.Options())
	} else {
		a.worker = worker.New(worker.Deps{Config: a.cfg, Client: a.temporal, Store: a.store, Payments: a.payments, Redis: a.redis, Logger: a.log})
	}
	if err := a.worker.Start(); err != nil {
		a.worker = nil
		return fmt.Errorf("start worker: %w", err)
	}
	return nil
}

// newTunedWorker is a worker with SDK options, to measure a candidate production setting:
// worker.New takes none. It registers only what the benchmark exercises, the checkout saga and
// its activities as worker.New registers them, and the run creates no Schedules for it (their
// workflows would find no registration here); the scheduled sweeps run once a minute and
// are noise next to the load anyway.
func newTunedWorker(a *app, o sdkworker.Options) sdkworker.Worker {
	w := sdkworker.New(a.temporal, a.cfg.TaskQueue, o)
	w.RegisterWorkflowWithOptions(workflows.Checkout, workflow.RegisterOptions{Name: workflows.CheckoutWorkflowName})
	w.RegisterActivity(&activities.Checkout{Store: a.store, Payments: a.payments, ReservationGrace: 2 * time.Minute})
	return w
}

// serveAPI builds the API as cmd/shopflow's serveAPI does and serves it on a spare port.
func (a *app) serveAPI(opts appOptions) error {
	pw, err := auth.NewPasswords(a.cfg.BcryptCost)
	if err != nil {
		return err
	}
	a.sagas = &workflows.Checkouts{Client: a.temporal, TaskQueue: a.cfg.TaskQueue, PaymentTimeout: a.cfg.PaymentTimeout,
		EagerStart: opts.EagerStart}
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
		Checkouts: a.sagas,
		Sandbox:   nil, // dev endpoints off, as in production
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	a.BaseURL = "http://" + ln.Addr().String()
	a.http = &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	go func() {
		if err := a.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("api server stopped", "err", err)
		}
	}()
	return nil
}

// Close stops the API and the worker and closes every connection.
func (a *app) Close() {
	if a.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = a.http.Shutdown(ctx)
		cancel()
	}
	if a.worker != nil {
		a.worker.Stop()
	}
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

// newLogger formats every record at info and above as production does (JSON; the cost of the
// access log is part of what is measured) but throws those away, and shows records at
// showLevel and above on stderr.
func newLogger(showLevel slog.Level, stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewMultiHandler(
		slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}),
		slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: showLevel}),
	))
}

// quietLogger is a Temporal SDK logger that drops everything, for the benchmark's own clients.
func quietLogger() tlog.Logger { return tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
