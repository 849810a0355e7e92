package worker

import (
	"testing"
	"time"

	"shopflow/config"
)

// A stopping worker waits for running activities up to the shutdown timeout, as a deploy
// needs; the SDK's default is to cancel them at once.
func TestStoppingWorkerDrainsRunningActivities(t *testing.T) {
	o := options(config.Config{ShutdownTimeout: 42 * time.Second}, config.QueueCheckout)
	if o.WorkerStopTimeout != 42*time.Second {
		t.Fatalf("WorkerStopTimeout %s, want SHOPFLOW_SHUTDOWN_TIMEOUT (42s)", o.WorkerStopTimeout)
	}
	if o.WorkflowTaskPollerBehavior == nil || o.ActivityTaskPollerBehavior == nil {
		t.Error("pollers do not scale with the backlog")
	}
}
