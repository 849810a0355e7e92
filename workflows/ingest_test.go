package workflows

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

var ingestActs *activities.Ingest

const testBatch = "5f1c3b9e-0000-4000-8000-000000000001"

// newIngestEnv is a test environment with the ingest workflows and activities registered;
// tests mock each activity's answer with OnActivity.
func newIngestEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	env := newTestEnv()
	env.RegisterWorkflowWithOptions(IngestBatch, workflow.RegisterOptions{Name: IngestBatchWorkflowName})
	env.RegisterWorkflowWithOptions(IngestInbox, workflow.RegisterOptions{Name: IngestInboxWorkflowName})
	env.RegisterActivity(&activities.Ingest{})
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

func chunkIn() activities.IngestChunkInput { return activities.IngestChunkInput{BatchID: testBatch} }

func TestIngestBatchReadsChunksThenCompletes(t *testing.T) {
	t.Parallel()
	env := newIngestEnv(t)
	env.OnActivity(ingestActs.IngestChunk, mock.Anything, chunkIn()).Return(activities.IngestChunkResult{OffsetBytes: 100, SizeBytes: 250}, nil).Twice()
	env.OnActivity(ingestActs.IngestChunk, mock.Anything, chunkIn()).Return(activities.IngestChunkResult{Done: true, OffsetBytes: 250, SizeBytes: 250}, nil).Once()
	env.OnActivity(ingestActs.FinishIngest, mock.Anything, activities.FinishIngestInput{BatchID: testBatch}).
		Return(activities.FinishIngestResult{LinesRead: 30, Accepted: 25, Duplicates: 3, Rejected: 2, ErrorPath: "errors/b/errors.ndjson"}, nil).Once()
	env.ExecuteWorkflow(IngestBatch, IngestBatchInput{BatchID: testBatch})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res IngestBatchResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	want := IngestBatchResult{BatchID: testBatch, Status: "completed", LinesRead: 30, Accepted: 25, Duplicates: 3, Rejected: 2, ErrorPath: "errors/b/errors.ndjson"}
	if res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
}

// TestIngestBatchContinuesAsNew: a long file never grows one run's history past ChunksPerRun
// chunks; the next run carries on with the same input (the offset lives in the database).
func TestIngestBatchContinuesAsNew(t *testing.T) {
	t.Parallel()
	env := newIngestEnv(t)
	env.OnActivity(ingestActs.IngestChunk, mock.Anything, chunkIn()).Return(activities.IngestChunkResult{OffsetBytes: 1}, nil).Times(3)
	in := IngestBatchInput{BatchID: testBatch, ChunksPerRun: 3}
	env.ExecuteWorkflow(IngestBatch, in)
	err := env.GetWorkflowError()
	var cont *workflow.ContinueAsNewError
	if !errors.As(err, &cont) {
		t.Fatalf("workflow ended with %v, want continue-as-new", err)
	}
	if cont.WorkflowType.Name != IngestBatchWorkflowName {
		t.Fatalf("continues as %s", cont.WorkflowType.Name)
	}
	var next IngestBatchInput
	if err := converter.GetDefaultDataConverter().FromPayloads(cont.Input, &next); err != nil || next != in {
		t.Fatalf("next run's input %+v (%v), want %+v", next, err, in)
	}
}

// TestIngestBatchUnusableFileFailsAtOnce: a file that cannot be read is not retried; the batch
// is marked failed with the reason, and the workflow fails.
func TestIngestBatchUnusableFileFailsAtOnce(t *testing.T) {
	t.Parallel()
	env := newIngestEnv(t)
	env.OnActivity(ingestActs.IngestChunk, mock.Anything, chunkIn()).
		Return(activities.IngestChunkResult{}, temporal.NewNonRetryableApplicationError("stored file is missing", activities.ErrTypeBatchUnusable, nil)).Once()
	env.OnActivity(ingestActs.FailIngest, mock.Anything, activities.FailIngestInput{BatchID: testBatch, Reason: "stored file is missing"}).Return(activities.FailIngestResult{}, nil).Once()
	env.ExecuteWorkflow(IngestBatch, IngestBatchInput{BatchID: testBatch})
	if err := env.GetWorkflowError(); err == nil || !strings.Contains(err.Error(), "stored file is missing") {
		t.Fatalf("workflow error %v", err)
	}
}

// TestIngestBatchRetriesAChunk: a chunk that fails (the database restarting) is tried again,
// and the batch goes on.
func TestIngestBatchRetriesAChunk(t *testing.T) {
	t.Parallel()
	env := newIngestEnv(t)
	env.OnActivity(ingestActs.IngestChunk, mock.Anything, chunkIn()).Return(activities.IngestChunkResult{}, errors.New("connection refused")).Twice()
	env.OnActivity(ingestActs.IngestChunk, mock.Anything, chunkIn()).Return(activities.IngestChunkResult{Done: true}, nil).Once()
	env.OnActivity(ingestActs.FinishIngest, mock.Anything, mock.Anything).Return(activities.FinishIngestResult{Accepted: 1}, nil).Once()
	env.ExecuteWorkflow(IngestBatch, IngestBatchInput{BatchID: testBatch})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
}

// TestIngestInboxAdoptsFilesAndStartsQueuedBatches: each inbox file is taken (or rejected), a
// file that cannot be taken now is left for the next sweep without stopping the others, and a
// child is started for each queued batch, once.
func TestIngestInboxAdoptsFilesAndStartsQueuedBatches(t *testing.T) {
	t.Parallel()
	env := newIngestEnv(t)
	env.OnActivity(ingestActs.ListIngestInbox, mock.Anything, activities.ListInboxInput{Limit: defaultInboxLimit}).
		Return(activities.ListInboxResult{Files: []string{"a.csv", "b.txt", "c.csv", "d.ndjson"}}, nil).Once()
	adopt := func(name string) activities.AdoptInboxFileInput { return activities.AdoptInboxFileInput{Name: name} }
	env.OnActivity(ingestActs.AdoptInboxFile, mock.Anything, adopt("a.csv")).Return(activities.AdoptInboxFileResult{BatchID: "b-a", Created: true}, nil).Once()
	env.OnActivity(ingestActs.AdoptInboxFile, mock.Anything, adopt("b.txt")).Return(activities.AdoptInboxFileResult{Rejected: "unknown extension"}, nil).Once()
	env.OnActivity(ingestActs.AdoptInboxFile, mock.Anything, adopt("c.csv")).Return(activities.AdoptInboxFileResult{}, errors.New("disk full")).Times(5)
	env.OnActivity(ingestActs.AdoptInboxFile, mock.Anything, adopt("d.ndjson")).Return(activities.AdoptInboxFileResult{BatchID: "b-old"}, nil).Once()
	// b-api was submitted through the API while Temporal was down; b-a is listed twice (the
	// sweep races an API start): each starts once.
	env.OnActivity(ingestActs.QueuedIngests, mock.Anything, mock.Anything).
		Return(activities.QueuedIngestsResult{BatchIDs: []string{"b-a", "b-api", "b-a"}}, nil).Once()
	var started []string
	env.OnWorkflow(IngestBatchWorkflowName, mock.Anything, mock.Anything).Return(func(ctx workflow.Context, in IngestBatchInput) (IngestBatchResult, error) {
		if id := workflow.GetInfo(ctx).WorkflowExecution.ID; id != IngestWorkflowID(in.BatchID) {
			t.Errorf("child workflow ID %s for batch %s", id, in.BatchID)
		}
		started = append(started, in.BatchID)
		return IngestBatchResult{BatchID: in.BatchID, Status: "completed"}, nil
	}).Times(2)
	env.ExecuteWorkflow(IngestInbox, IngestInboxInput{})
	err := env.GetWorkflowError()
	if err == nil || !strings.Contains(err.Error(), "1 inbox files not taken") || !strings.Contains(err.Error(), "c.csv") {
		t.Fatalf("workflow error %v, want it to name c.csv", err)
	}
	if strings.Join(started, ",") != "b-a,b-api" {
		t.Fatalf("children started for %v", started)
	}
}

func TestIngestInboxEmpty(t *testing.T) {
	t.Parallel()
	env := newIngestEnv(t)
	env.OnActivity(ingestActs.ListIngestInbox, mock.Anything, mock.Anything).Return(activities.ListInboxResult{}, nil).Once()
	env.OnActivity(ingestActs.QueuedIngests, mock.Anything, mock.Anything).Return(activities.QueuedIngestsResult{}, nil).Once()
	env.ExecuteWorkflow(IngestInbox, IngestInboxInput{})
	var res IngestInboxResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Adopted != 0 || res.Started != 0 {
		t.Fatalf("%+v %v", res, err)
	}
}
