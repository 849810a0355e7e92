package app

import (
	"context"

	"shopflow/worker"
)

// WorkerDeps are the worker's dependencies: the App's components, and the task queue roles
// the process serves (SHOPFLOW_WORKER_QUEUES).
func (a *App) WorkerDeps() worker.Deps {
	return worker.Deps{Config: a.Config, Client: a.Temporal, Store: a.Store, Payments: a.Payments, Redis: a.Redis,
		Logger: a.Log, Notifier: a.Notifier, ReportFiles: a.ReportFiles, ReportZone: a.ReportZone,
		SearchCatalog: a.SearchCatalog, SearchIndex: a.SearchIndex, Registry: a.Registry, Queues: a.Config.WorkerQueues}
}

// NewWorker builds the Temporal workers of the configured queues, each with its queue's
// workflows and activities registered, not started.
func (a *App) NewWorker() *worker.Workers { return worker.New(a.WorkerDeps()) }

// RunWorker runs the workers and the outbox pushes until ctx is done, then drains in-flight
// tasks and stops. Search attributes and Schedules are SetupTemporal's, a deploy step.
func (a *App) RunWorker(ctx context.Context) error { return worker.Run(ctx, a.WorkerDeps()) }

// SetupTemporal registers search attributes and creates or updates the Schedules: the deploy
// step `shopflow temporal setup`, which `shopflow dev` runs too.
func (a *App) SetupTemporal(ctx context.Context) error {
	return worker.Setup(ctx, a.Temporal, a.Config)
}
