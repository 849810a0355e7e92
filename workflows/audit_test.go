package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

var auditStart = time.Date(2026, 12, 1, 3, 30, 0, 0, time.UTC)

func auditEnv() (*testsuite.TestWorkflowEnvironment, *activities.Audit) {
	env := newTestEnv()
	Register(env)
	var a *activities.Audit
	env.RegisterActivity(a)
	env.SetStartTime(auditStart)
	return env, a
}

// Chunks are exported and purged in turn, each export continuing after the last, until an
// export finds nothing; the cutoff is the run's start less the retention.
func TestAuditRetentionExportsThenPurgesEachChunk(t *testing.T) {
	t.Parallel()
	env, a := auditEnv()
	cutoff := auditStart.Add(-8760 * time.Hour)
	var calls []string
	env.OnActivity(a.ExportAuditChunk, mock.Anything, activities.ExportAuditChunkInput{Cutoff: cutoff, AfterID: 0, Limit: 2}).
		Return(func(_ context.Context, _ activities.ExportAuditChunkInput) (activities.ExportAuditChunkResult, error) {
			calls = append(calls, "export 0")
			return activities.ExportAuditChunkResult{Count: 2, FirstID: 1, LastID: 2, Manifest: "m1"}, nil
		}).Once()
	env.OnActivity(a.PurgeAuditChunk, mock.Anything, activities.PurgeAuditChunkInput{Manifest: "m1", Cutoff: cutoff}).
		Return(func(_ context.Context, _ activities.PurgeAuditChunkInput) (activities.PurgeAuditChunkResult, error) {
			calls = append(calls, "purge m1")
			return activities.PurgeAuditChunkResult{Removed: 2}, nil
		}).Once()
	env.OnActivity(a.ExportAuditChunk, mock.Anything, activities.ExportAuditChunkInput{Cutoff: cutoff, AfterID: 2, Limit: 2}).
		Return(activities.ExportAuditChunkResult{Count: 1, FirstID: 5, LastID: 5, Manifest: "m2"}, nil).Once()
	env.OnActivity(a.PurgeAuditChunk, mock.Anything, activities.PurgeAuditChunkInput{Manifest: "m2", Cutoff: cutoff}).
		Return(activities.PurgeAuditChunkResult{Removed: 0}, nil).Once() // a retry already removed them
	env.OnActivity(a.ExportAuditChunk, mock.Anything, activities.ExportAuditChunkInput{Cutoff: cutoff, AfterID: 5, Limit: 2}).
		Return(activities.ExportAuditChunkResult{}, nil).Once()
	env.ExecuteWorkflow(AuditRetentionWorkflowName, AuditRetentionInput{Retention: 8760 * time.Hour, ChunkSize: 2})
	r := completed[AuditRetentionResult](t, env)
	if r.Chunks != 2 || r.Exported != 3 || r.Purged != 2 || !r.Cutoff.Equal(cutoff) {
		t.Fatalf("result %+v", r)
	}
	if len(calls) != 2 || calls[0] != "export 0" || calls[1] != "purge m1" {
		t.Fatalf("calls %v, want the export before its purge", calls)
	}
	env.AssertExpectations(t)
}

// Nothing old: one export that finds nothing, no purge.
func TestAuditRetentionWithNothingToDo(t *testing.T) {
	t.Parallel()
	env, a := auditEnv()
	env.OnActivity(a.ExportAuditChunk, mock.Anything, mock.Anything).Return(activities.ExportAuditChunkResult{}, nil).Once()
	env.ExecuteWorkflow(AuditRetentionWorkflowName, AuditRetentionInput{Retention: time.Hour})
	if r := completed[AuditRetentionResult](t, env); r.Chunks != 0 || r.Exported != 0 {
		t.Fatalf("result %+v", r)
	}
	env.AssertExpectations(t)
}

// A failing export fails the run before anything is purged; the next run starts over.
func TestAuditRetentionStopsWhenAnExportFails(t *testing.T) {
	t.Parallel()
	env, a := auditEnv()
	env.OnActivity(a.ExportAuditChunk, mock.Anything, mock.Anything).
		Return(activities.ExportAuditChunkResult{}, temporal.NewNonRetryableApplicationError("storage down", "X", nil))
	env.ExecuteWorkflow(AuditRetentionWorkflowName, AuditRetentionInput{Retention: time.Hour})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() == nil {
		t.Fatal("run did not fail")
	}
	env.AssertNotCalled(t, "PurgeAuditChunk", mock.Anything, mock.Anything)
}

// A bad purge (an export not matching its manifest) fails the run too.
func TestAuditRetentionStopsWhenAPurgeFails(t *testing.T) {
	t.Parallel()
	env, a := auditEnv()
	env.OnActivity(a.ExportAuditChunk, mock.Anything, mock.Anything).
		Return(activities.ExportAuditChunkResult{Count: 1, FirstID: 1, LastID: 1, Manifest: "m"}, nil).Once()
	env.OnActivity(a.PurgeAuditChunk, mock.Anything, mock.Anything).
		Return(activities.PurgeAuditChunkResult{}, temporal.NewNonRetryableApplicationError("bad export", "BadExport", nil)).Once()
	env.ExecuteWorkflow(AuditRetentionWorkflowName, AuditRetentionInput{Retention: time.Hour})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() == nil {
		t.Fatal("run did not fail")
	}
	env.AssertExpectations(t)
}

// A large backlog continues as new after a bounded number of chunks, carrying its cutoff,
// position and totals.
func TestAuditRetentionContinuesAsNew(t *testing.T) {
	t.Parallel()
	env, a := auditEnv()
	next := int64(0)
	env.OnActivity(a.ExportAuditChunk, mock.Anything, mock.Anything).
		Return(func(_ context.Context, in activities.ExportAuditChunkInput) (activities.ExportAuditChunkResult, error) {
			next = in.AfterID + 1
			return activities.ExportAuditChunkResult{Count: 1, FirstID: next, LastID: next, Manifest: "m"}, nil
		})
	env.OnActivity(a.PurgeAuditChunk, mock.Anything, mock.Anything).Return(activities.PurgeAuditChunkResult{Removed: 1}, nil)
	env.ExecuteWorkflow(AuditRetentionWorkflowName, AuditRetentionInput{Retention: time.Hour})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("error %v, want continue-as-new", err)
	}
	if next != auditChunksPerRun {
		t.Fatalf("ran %d chunks before continuing, want %d", next, auditChunksPerRun)
	}
}

// No retention is a final failure: nothing is exported or removed.
func TestAuditRetentionRefusesNoRetention(t *testing.T) {
	t.Parallel()
	env, _ := auditEnv()
	env.ExecuteWorkflow(AuditRetentionWorkflowName, AuditRetentionInput{})
	var app *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &app) || !app.NonRetryable() {
		t.Fatalf("error %v, want a non-retryable failure", err)
	}
}
