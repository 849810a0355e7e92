package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/activities"
	"shopflow/config"
	"shopflow/store"
	"shopflow/workflows"
)

// registerSearch registers the activities that keep search fresh.
func registerSearch(w sdkworker.Registry, d Deps) {
	a := &activities.Search{Store: d.Store, Catalog: d.SearchCatalog}
	// Left nil (not a nil pointer in an interface) with the postgres backend.
	if d.SearchIndex != nil {
		a.Index = d.SearchIndex
	}
	w.RegisterActivity(a)
}

// searchSchedules: the index drain every minute (the safety net under the push), and the
// refresh of sort fields and typo vocabulary every hour, after the ranking.
func searchSchedules(cfg config.Config) []schedule {
	return []schedule{
		{id: workflows.IndexSearchScheduleID, every: time.Minute, catchup: 2 * time.Minute, queue: config.QueueBatch,
			workflow: workflows.IndexSearchWorkflowName, args: []any{workflows.IndexSearchInput{}}, timeout: 30 * time.Minute},
		{id: workflows.RefreshSearchStatsScheduleID, every: time.Hour, offset: 2 * time.Minute, catchup: time.Hour, queue: config.QueueBatch,
			workflow: workflows.RefreshSearchStatsWorkflowName,
			args:     []any{workflows.RefreshSearchStatsInput{Window: cfg.TopSellersWindow}}, timeout: time.Hour},
	}
}

// SearchPush starts (or signals) the index drain the moment search changes commit, as
// OutboxPush does for notifications: a price change or a sell-out reaches Elasticsearch in
// about a second instead of at the next minute's Schedule. The drain is batch work: it runs on
// the batch queue.
func SearchPush(d Deps) *OutboxPush {
	queue := d.Config.BatchTaskQueue
	return &OutboxPush{Pool: d.Store.Pool, Client: d.Client, TaskQueue: queue, Logger: d.Logger,
		Channel: store.SearchChannel, Signal: func(ctx context.Context) error { return signalSearch(ctx, d.Client, queue) }}
}

func signalSearch(ctx context.Context, c client.Client, taskQueue string) error {
	id := workflows.IndexSearchPushWorkflowID(taskQueue)
	_, err := c.SignalWithStartWorkflow(ctx, id, workflows.IndexSearchSignal, nil,
		client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue, WorkflowRunTimeout: time.Hour},
		workflows.IndexSearchWorkflowName, workflows.IndexSearchInput{})
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("signal %s: %w", id, err)
	}
	return nil
}
