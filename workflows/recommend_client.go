package workflows

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// RecommendationsWorkflowID is the workflow ID of a run started by hand at minute, e.g.
// recommendations-2026-11-21T09:37. (Runs of the Schedule are named by Temporal.)
func RecommendationsWorkflowID(minute time.Time) string {
	return "recommendations-" + minute.UTC().Format("2006-01-02T15:04")
}

// Recommender starts "also bought" runs on demand (the CLI, tests).
type Recommender struct {
	Client    client.Client
	TaskQueue string
	// Input carries the configured window, support and length (SHOPFLOW_RECS_*).
	Input RecommendationsInput
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// TriggerRecommendations brings the lists up to date now (all of them when all is set) and
// returns the run's workflow ID. A run started in the same minute is reused.
func (r *Recommender) TriggerRecommendations(ctx context.Context, all bool) (string, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	minute := now().UTC().Truncate(time.Minute)
	in := r.Input
	in.At, in.All = minute, all
	opts := client.StartWorkflowOptions{
		ID:                       RecommendationsWorkflowID(minute),
		TaskQueue:                r.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionTimeout: 3 * time.Hour,
	}
	run, err := r.Client.ExecuteWorkflow(ctx, opts, RecommendationsWorkflowName, in)
	if err != nil {
		return "", fmt.Errorf("start recommendations at %s: %w", minute.Format(time.RFC3339), err)
	}
	return run.GetID(), nil
}
