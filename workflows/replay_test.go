package workflows

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Histories of real sagas, recorded from the dev server by the end-to-end tests
// (go test ./e2e -run TestRecordHistories -record-histories), replayed against the workflow code
// as it is now. A change that would break executions already running in production fails here:
// make it behind workflow.GetVersion instead.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded histories in workflows/testdata: go test ./e2e -run TestRecordHistories -record-histories")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			t.Parallel()
			r := worker.NewWorkflowReplayer()
			Register(r) // the worker's own list: histories name workflow types, not Go functions
			if err := r.ReplayWorkflowHistoryFromJSONFile(replayLogger(), file); err != nil {
				t.Errorf("replaying %s against the current code: %v", file, err)
			}
		})
	}
}

// The control: the replayer does fail when the code no longer matches a history. Here the
// checkout gained a timer before its first step, without workflow.GetVersion.
func TestReplayCatchesAnUnversionedChange(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(checkoutWithAnAddedTimer, workflowRegisterOptions())
	err := r.ReplayWorkflowHistoryFromJSONFile(replayLogger(), filepath.Join("testdata", "checkout_placed.json"))
	if err == nil {
		t.Fatal("a checkout that starts with a new timer replayed cleanly against a recorded history")
	}
	if !strings.Contains(err.Error(), "TMPRL1100") { // the SDK's code for non-determinism
		t.Errorf("replay failed, but not for non-determinism: %v", err)
	}
}

func checkoutWithAnAddedTimer(ctx workflow.Context, in CheckoutInput) (CheckoutResult, error) {
	if err := workflow.Sleep(ctx, time.Second); err != nil {
		return CheckoutResult{}, err
	}
	return Checkout(ctx, in)
}

func replayLogger() tlog.Logger {
	return tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))
}
