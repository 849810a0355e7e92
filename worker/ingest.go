package worker

import (
	"time"

	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/activities"
	"shopflow/config"
	"shopflow/ingest"
	"shopflow/workflows"
)

// inboxSettle is how long a file must sit unmodified in the inbox before the sweep takes it.
const inboxSettle = 30 * time.Second

// registerIngest registers the batch ingest activities.
func registerIngest(w sdkworker.Registry, d Deps) {
	files := ingest.Files{Dir: d.Config.IngestDir}
	w.RegisterActivity(&activities.Ingest{
		Batches:     &ingest.Batches{Store: d.Store, Files: files, ChunkLines: d.Config.IngestChunkLines},
		Store:       d.Store,
		Files:       files,
		Inbox:       d.Config.IngestInbox,
		InboxSettle: inboxSettle,
	})
}

// ingestSchedules are the ingest Schedules (the inbox sweep).
func ingestSchedules(cfg config.Config) []schedule {
	return []schedule{{
		id:       workflows.IngestInboxScheduleID,
		every:    cfg.IngestInterval,
		queue:    config.QueueBatch,
		workflow: workflows.IngestInboxWorkflowName,
		args:     []any{workflows.IngestInboxInput{}},
		// The sweep only registers files and starts their batches, which run on their own.
		timeout: 30 * time.Minute,
	}}
}
