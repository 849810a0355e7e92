package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

const (
	// AuditRetentionWorkflowName is the audit retention workflow's registered type.
	AuditRetentionWorkflowName = "AuditRetention"
	// AuditRetentionScheduleID names its daily Schedule (and each run's workflow ID).
	AuditRetentionScheduleID = "audit-retention"
)

// Defaults of the retention run: records per exported file, and files per run before it
// continues as new (keeping its history short however large the backlog).
const (
	DefaultAuditChunkSize = 5000
	auditChunksPerRun     = 100
)

// AuditRetentionInput says which audit records are old enough to leave Postgres.
type AuditRetentionInput struct {
	// Retention is SHOPFLOW_AUDIT_RETENTION: records older than this are exported and removed.
	Retention time.Duration
	// ChunkSize is how many records go in one exported file; 0 means DefaultAuditChunkSize.
	ChunkSize int
	// Cutoff, AfterID and the totals carry a run's progress across continue-as-new; a Schedule
	// leaves them zero and the cutoff is taken from the run's start.
	Cutoff           time.Time
	AfterID          int64
	Chunks           int
	Exported, Purged int64
}

// AuditRetentionResult counts what a run exported and removed.
type AuditRetentionResult struct {
	Cutoff   time.Time
	Chunks   int
	Exported int64
	Purged   int64
}

// AuditRetention exports the audit records older than the retention to report storage, one
// chunk at a time, and removes each chunk's records once its export is stored. Each chunk's
// export and purge are idempotent, and the records of a chunk whose purge did not happen are
// exported again by the next run, so a crash at any point loses nothing and duplicates nothing.
func AuditRetention(ctx workflow.Context, in AuditRetentionInput) (AuditRetentionResult, error) {
	if in.Retention <= 0 && in.Cutoff.IsZero() {
		return AuditRetentionResult{}, temporal.NewNonRetryableApplicationError("audit retention must be positive", "BadInput", errors.New("retention <= 0"))
	}
	if in.ChunkSize <= 0 {
		in.ChunkSize = DefaultAuditChunkSize
	}
	if in.Cutoff.IsZero() {
		in.Cutoff = workflow.Now(ctx).UTC().Add(-in.Retention).Truncate(time.Second)
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumAttempts: 5},
	})
	log := workflow.GetLogger(ctx)
	var a *activities.Audit
	for range auditChunksPerRun {
		var exp activities.ExportAuditChunkResult
		if err := workflow.ExecuteActivity(ctx, a.ExportAuditChunk, activities.ExportAuditChunkInput{
			Cutoff: in.Cutoff, AfterID: in.AfterID, Limit: in.ChunkSize}).Get(ctx, &exp); err != nil {
			return in.result(), err
		}
		if exp.Count == 0 {
			log.Info("audit retention done", "cutoff", in.Cutoff, "chunks", in.Chunks, "exported", in.Exported, "purged", in.Purged)
			return in.result(), nil
		}
		var purged activities.PurgeAuditChunkResult
		if err := workflow.ExecuteActivity(ctx, a.PurgeAuditChunk, activities.PurgeAuditChunkInput{
			Manifest: exp.Manifest, Cutoff: in.Cutoff}).Get(ctx, &purged); err != nil {
			return in.result(), err
		}
		in.AfterID = exp.LastID
		in.Chunks++
		in.Exported += int64(exp.Count)
		in.Purged += purged.Removed
		log.Info("audit retention chunk", "manifest", exp.Manifest, "records", exp.Count, "purged", purged.Removed,
			"chunks", in.Chunks, "exported", in.Exported)
	}
	return AuditRetentionResult{}, workflow.NewContinueAsNewError(ctx, AuditRetentionWorkflowName, in)
}

func (in AuditRetentionInput) result() AuditRetentionResult {
	return AuditRetentionResult{Cutoff: in.Cutoff, Chunks: in.Chunks, Exported: in.Exported, Purged: in.Purged}
}
