package workflows

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// TopSellersWorkflowID is the workflow ID of a run started by hand for the period ending at
// hour's start, e.g. topsellers-2026-11-21T09. (Runs of the Schedule are named by Temporal:
// topsellers-<scheduled time>.)
func TopSellersWorkflowID(hour time.Time) string {
	return "topsellers-" + hour.UTC().Format("2006-01-02T15")
}

// Jobs runs scheduled jobs on demand; the API holds one (api.Jobs).
type Jobs struct {
	Client    client.Client
	TaskQueue string
	// Window and N are SHOPFLOW_TOPSELLERS_WINDOW and SHOPFLOW_TOPSELLERS_N; zero values take
	// DefaultTopSellersWindow and the worker's configured N.
	Window time.Duration
	N      int
	// RankChangeThreshold is SHOPFLOW_DIGEST_RANK_CHANGE: a triggered run alerts sellers like a
	// scheduled one.
	RankChangeThreshold int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// TriggerTopSellers ranks the period ending at the start of the current hour now, and returns
// the run's workflow ID. A run for that hour already going is reused; a finished one is run
// again (it recomputes the same answer, picking up sales counted since).
func (j *Jobs) TriggerTopSellers(ctx context.Context) (string, error) {
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	hour := now().UTC().Truncate(time.Hour)
	opts := client.StartWorkflowOptions{
		ID:                       TopSellersWorkflowID(hour),
		TaskQueue:                j.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionTimeout: 10 * time.Minute,
	}
	run, err := j.Client.ExecuteWorkflow(ctx, opts, TopSellersWorkflowName, TopSellersInput{Window: j.Window, N: j.N, At: hour, RankChangeThreshold: j.RankChangeThreshold})
	if err != nil {
		return "", fmt.Errorf("start top sellers for %s: %w", hour.Format(time.RFC3339), err)
	}
	return run.GetID(), nil
}

// ReindexSearch starts a search reindex, or returns the one already running, and returns its
// workflow ID and run ID. One reindex runs at a time: the workflow ID is fixed.
func (j *Jobs) ReindexSearch(ctx context.Context) (workflowID, runID string, err error) {
	opts := client.StartWorkflowOptions{
		ID:                       ReindexSearchWorkflowID(j.TaskQueue),
		TaskQueue:                j.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
	run, err := j.Client.ExecuteWorkflow(ctx, opts, ReindexSearchWorkflowName, ReindexSearchInput{})
	if err != nil {
		return "", "", fmt.Errorf("start search reindex: %w", err)
	}
	return run.GetID(), run.GetRunID(), nil
}
