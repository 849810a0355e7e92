package worker

import (
	"time"

	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/activities"
	"shopflow/config"
	"shopflow/workflows"
)

// registerAudit registers the audit retention activities.
func registerAudit(w sdkworker.Registry, d Deps) {
	w.RegisterActivity(&activities.Audit{Store: d.Store, Storage: d.ReportFiles})
}

// auditSchedules is the audit retention Schedule: every 24 hours at 03:30 UTC (an interval
// aligned to the epoch, so a fixed UTC time), a quiet hour, exporting and removing the records
// older than SHOPFLOW_AUDIT_RETENTION, with a day of catch-up.
func auditSchedules(cfg config.Config) []schedule {
	return []schedule{{
		id:       workflows.AuditRetentionScheduleID,
		every:    24 * time.Hour,
		offset:   3*time.Hour + 30*time.Minute,
		catchup:  24 * time.Hour,
		queue:    config.QueueBatch,
		workflow: workflows.AuditRetentionWorkflowName,
		args:     []any{workflows.AuditRetentionInput{Retention: cfg.AuditRetention, ChunkSize: workflows.DefaultAuditChunkSize}},
		// A large first backlog continues as new every 100 chunks; the run as a whole (all its
		// continuations) must end before the next day's.
		timeout: 12 * time.Hour,
	}}
}
