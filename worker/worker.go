package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"
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

// New builds a worker on the configured task queue with every workflow and activity registered.
func New(d Deps) sdkworker.Worker {
	// Autoscaling pollers: with the SDK's fixed two workflow-task pollers, a burst of new sagas
	// queues behind them for its first task; autoscaling adds pollers while a backlog lasts.
	w := sdkworker.New(d.Client, d.Config.TaskQueue, options(d.Config, config.QueueCheckout))
	register(w, d)
	return w
}

// options are the SDK worker options: pollers that scale with the backlog, and a stop that
// waits up to SHOPFLOW_SHUTDOWN_TIMEOUT for running activities to finish (a deploy or scale-in
// lets a charge or a report chunk complete instead of cutting it off for a retry).
func options(cfg config.Config, queue string) sdkworker.Options {
	autoscale := sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{})
	return sdkworker.Options{
		WorkflowTaskPollerBehavior: autoscale,
		ActivityTaskPollerBehavior: autoscale,
		WorkerStopTimeout:          cfg.ShutdownTimeout,
		DeploymentOptions:          deploymentOptions(cfg, queue),
	}
}

// register registers what Shopflow runs on Temporal: every workflow type (workflows.Register,
// the list the replay tests use too) and one struct per activity group holding its dependencies.
func register(w sdkworker.Registry, d Deps) {
	workflows.Register(w)
	w.RegisterActivity(&activities.Checkout{Store: d.Store, Payments: d.Payments, ReservationGrace: reservationGrace,
		Fraud: fraud.FromConfig(d.Config.PricingConfig)})
	w.RegisterActivity(&activities.Sweep{Store: d.Store, Temporal: d.Client})
	w.RegisterActivity(&activities.Housekeeping{Store: d.Store})
	registerIngest(w, d)
	registerRanking(w, d)
	registerRecommendations(w, d)
	registerReports(w, d)
	registerNotify(w, d)
	registerDigest(w, d)
	registerSearch(w, d)
	registerPromotions(w, d)
	registerReturns(w, d)
	registerRefunds(w, d)
	registerAudit(w, d)
	registerDataRights(w, d)
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

// Run starts the worker, blocks until ctx is done, then drains in-flight tasks and stops.
func Run(ctx context.Context, d Deps) error {
	w := New(d)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker on task queue %s: %w", d.Config.TaskQueue, err)
	}
	d.Logger.Info("worker started", "task_queue", d.Config.TaskQueue, "namespace", d.Config.TemporalNamespace)
	var pushes sync.WaitGroup
	pushes.Go(func() {
		if err := serveHealth(ctx, d); err != nil {
			d.Logger.Error("worker /metrics and /healthz stopped", "err", err)
		}
	})
	if d.Store != nil {
		outbox := &OutboxPush{Pool: d.Store.Pool, Client: d.Client, TaskQueue: d.Config.TaskQueue, Logger: d.Logger}
		pushes.Go(func() { outbox.Run(ctx) })
		pushes.Go(func() { SearchPush(d).Run(ctx) })
	}
	<-ctx.Done()
	pushes.Wait()
	w.Stop()
	d.Logger.Info("worker stopped")
	return nil
}
