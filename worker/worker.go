package worker

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/activities"
	"shopflow/config"
	"shopflow/fraud"
	"shopflow/notify"
	"shopflow/payment"
	"shopflow/report"
	"shopflow/search"
	"shopflow/store"
	"shopflow/workflows"
)

// Deps is what the workflows' activities need, built once by package app; the worker registers
// the activities once as structs holding them.
type Deps struct {
	Config   config.Config
	Client   client.Client
	Store    *store.Store
	Payments payment.Provider
	Redis    redis.UniversalClient
	Logger   *slog.Logger
	// Notifier sends order notifications, notification files and seller digests.
	Notifier *notify.Service
	// ReportFiles is where daily reports are written.
	ReportFiles report.Storage
	// ReportZone is the time zone whose days the reports and digests cover.
	ReportZone *time.Location
	// SearchCatalog reads products as search documents; SearchIndex is the external index
	// (nil with the postgres backend).
	SearchCatalog activities.SearchCatalog
	SearchIndex   search.Index
	// Registry holds the process's metrics, served on the worker's /metrics.
	Registry *prometheus.Registry
	// Queues are the task queue roles this process serves (config.QueueCheckout, QueueBatch).
	Queues []string
}

// reservationGrace is how long held stock outlives its saga's payment timeout before the
// expiry sweep may take it back.
const reservationGrace = 2 * time.Minute

// New builds one SDK worker per task queue role in d.Queues (both when empty), each with only
// its queue's workflows and activities registered, none started.
func New(d Deps) *Workers {
	roles := d.Queues
	if len(roles) == 0 {
		roles = []string{config.QueueCheckout, config.QueueBatch}
	}
	ws := &Workers{}
	for _, role := range roles {
		name := d.Config.QueueName(role)
		// Roles on one queue name (bench/queues's shared mode) share one worker: two workers
		// on one queue would each take tasks the other registered.
		w := ws.byQueue(name)
		if w == nil {
			w = sdkworker.New(d.Client, name, options(d.Config, role))
			ws.add(name, w)
		}
		registerRole(w, d, role)
	}
	return ws
}

// options are the SDK worker options of a queue role: pollers that scale with the backlog, the
// role's concurrency and rate limits, and a stop that waits up to SHOPFLOW_SHUTDOWN_TIMEOUT
// for running activities to finish (a deploy or scale-in lets a charge or a report chunk
// complete instead of cutting it off for a retry).
func options(cfg config.Config, queue string) sdkworker.Options {
	// Autoscaling pollers: with the SDK's fixed two workflow-task pollers, a burst of new sagas
	// queues behind them for its first task; autoscaling adds pollers while a backlog lasts.
	autoscale := sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{})
	o := sdkworker.Options{
		WorkflowTaskPollerBehavior: autoscale,
		ActivityTaskPollerBehavior: autoscale,
		WorkerStopTimeout:          cfg.ShutdownTimeout,
		DeploymentOptions:          deploymentOptions(cfg, queue),
		// Records how late each Schedule-started run began (shopflow_schedule_lag_seconds).
		Interceptors: []interceptor.WorkerInterceptor{workflows.NewScheduleLagInterceptor()},
	}
	switch queue {
	case config.QueueCheckout:
		o.MaxConcurrentActivityExecutionSize = cfg.CheckoutMaxActivities
		o.MaxConcurrentWorkflowTaskExecutionSize = cfg.CheckoutMaxWorkflowTasks
	case config.QueueBatch:
		o.MaxConcurrentActivityExecutionSize = cfg.BatchMaxActivities
		o.MaxConcurrentWorkflowTaskExecutionSize = cfg.BatchMaxWorkflowTasks
		o.TaskQueueActivitiesPerSecond = cfg.BatchActivitiesPerSecond
	}
	return o
}

// registerRole registers a queue role's workflows and, as one struct per activity group holding
// its dependencies, the activities they call: an activity runs on its workflow's task queue,
// so each role registers every activity its workflows call and no other. Workflow types get
// their versioning behaviour on a versioned worker (versioned).
func registerRole(w sdkworker.Registry, d Deps, role string) {
	switch role {
	case config.QueueCheckout:
		workflows.RegisterCheckout(versioned(w, d.Config, role))
		// The saga's, which the sweep calls too when it releases a dead saga's stock.
		w.RegisterActivity(&activities.Checkout{Store: d.Store, Payments: d.Payments, ReservationGrace: reservationGrace,
			Fraud: fraud.FromConfig(d.Config.PricingConfig)})
		w.RegisterActivity(&activities.Sweep{Store: d.Store, Temporal: d.Client})
		registerNotify(w, d)
		registerReturns(w, d)
		registerRefunds(w, d)
	case config.QueueBatch:
		workflows.RegisterBatch(versioned(w, d.Config, role))
		w.RegisterActivity(&activities.Housekeeping{Store: d.Store})
		registerIngest(w, d)
		registerRanking(w, d)
		registerRecommendations(w, d)
		registerReports(w, d)
		registerDigest(w, d)
		registerSearch(w, d)
		registerPromotions(w, d)
		registerAudit(w, d)
		registerDataRights(w, d)
	}
}

// Setup is the deploy step for Temporal (`shopflow temporal setup`): it registers Shopflow's
// search attributes and creates or updates its Schedules. It needs namespace-admin rights,
// which a worker does not: workers only poll.
func Setup(ctx context.Context, c client.Client, cfg config.Config) error {
	if err := EnsureSearchAttributes(ctx, c, cfg.TemporalNamespace); err != nil {
		return err
	}
	return EnsureSchedules(ctx, c, cfg)
}

// Run starts the workers of d.Queues, blocks until ctx is done, then drains in-flight tasks and
// stops. Each outbox push runs in the processes serving its drain's queue.
func Run(ctx context.Context, d Deps) error {
	ws := New(d)
	if err := ws.Start(); err != nil {
		return err
	}
	d.Logger.Info("worker started", "queues", d.Queues, "task_queues", ws.Queues(), "namespace", d.Config.TemporalNamespace)
	var pushes sync.WaitGroup
	pushes.Go(func() {
		if err := serveHealth(ctx, d); err != nil {
			d.Logger.Error("worker /metrics and /healthz stopped", "err", err)
		}
	})
	if d.Store != nil {
		if serves(d, config.QueueCheckout) {
			outbox := &OutboxPush{Pool: d.Store.Pool, Client: d.Client, TaskQueue: d.Config.TaskQueue, Logger: d.Logger}
			pushes.Go(func() { outbox.Run(ctx) })
		}
		if serves(d, config.QueueBatch) {
			pushes.Go(func() { SearchPush(d).Run(ctx) })
		}
	}
	<-ctx.Done()
	pushes.Wait()
	ws.Stop()
	d.Logger.Info("worker stopped", "queues", d.Queues)
	return nil
}

// serves says whether the process serves role (every role when d.Queues is empty).
func serves(d Deps, role string) bool { return len(d.Queues) == 0 || slices.Contains(d.Queues, role) }
