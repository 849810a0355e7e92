package app

import (
	"context"

	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/worker"
)

// WorkerDeps are the worker's dependencies: the App's components.
func (a *App) WorkerDeps() worker.Deps {
	return worker.Deps{Config: a.Config, Client: a.Temporal, Store: a.Store, Payments: a.Payments, Redis: a.Redis,
		Logger: a.Log, Notifier: a.Notifier, ReportFiles: a.ReportFiles, ReportZone: a.ReportZone,
		SearchCatalog: a.SearchCatalog, SearchIndex: a.SearchIndex, Registry: a.Registry, Queues: a.Config.WorkerQueues}
}

// NewWorker builds the Temporal worker with every workflow and activity registered, not started.
func (a *App) NewWorker() sdkworker.Worker { return worker.New(a.WorkerDeps()) }

// RunWorker runs the worker and the outbox push until ctx is done, then drains in-flight tasks
// and stops. Search attributes and Schedules are SetupTemporal's, a deploy step.
func (a *App) RunWorker(ctx context.Context) error { return worker.Run(ctx, a.WorkerDeps()) }

// SetupTemporal registers search attributes and creates or updates the Schedules: the deploy
// step `shopflow temporal setup`, which `shopflow dev` runs too.
func (a *App) SetupTemporal(ctx context.Context) error {
	return worker.Setup(ctx, a.Temporal, a.Config)
}
