package workflows

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/audit"
	"shopflow/store"
)

var drActs *activities.DataRights

// fakeExport plays the export activities: build fails the first failBuilds attempts (with a
// refusal when refuse is set), and records what finish and fail were told.
type fakeExport struct {
	mu         sync.Mutex
	failBuilds int
	refuse     bool
	builds     int
	finished   []activities.FinishExportInput
	failed     []activities.FailExportInput
}

func (f *fakeExport) build(_ context.Context, in activities.BuildExportInput) (activities.BuildExportResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.builds++
	if f.refuse {
		return activities.BuildExportResult{}, temporal.NewNonRetryableApplicationError("erasing", activities.ErrExportRefused, nil)
	}
	if f.builds <= f.failBuilds {
		return activities.BuildExportResult{}, errors.New("storage down")
	}
	return activities.BuildExportResult{StorageKey: "exports/u/" + in.ExportID + ".zip", Counts: map[string]int64{"orders": 3}, Rows: 3}, nil
}

func (f *fakeExport) finish(_ context.Context, in activities.FinishExportInput) (activities.FinishExportResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finished = append(f.finished, in)
	return activities.FinishExportResult{Made: true}, nil
}

func (f *fakeExport) fail(_ context.Context, in activities.FailExportInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = append(f.failed, in)
	return nil
}

func runExport(t *testing.T, f *fakeExport) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	env := newTestEnv()
	env.RegisterWorkflowWithOptions(ExportCustomerData, workflow.RegisterOptions{Name: ExportCustomerDataWorkflowName})
	env.RegisterActivity(drActs)
	env.OnActivity(drActs.BuildExport, mock.Anything, mock.Anything).Return(f.build)
	env.OnActivity(drActs.FinishExport, mock.Anything, mock.Anything).Return(f.finish)
	env.OnActivity(drActs.FailExport, mock.Anything, mock.Anything).Return(f.fail)
	env.ExecuteWorkflow(ExportCustomerDataWorkflowName, ExportCustomerDataInput{ExportID: "e1", LinkTTL: 72 * time.Hour})
	return env
}

func TestExportCustomerData(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		failBuilds  int
		refuse      bool
		wantOutcome string
		wantBuilds  int
		wantReason  string
	}{
		{name: "built and linked", wantOutcome: ExportOutcomeReady, wantBuilds: 1},
		{name: "a failing build is retried", failBuilds: 2, wantOutcome: ExportOutcomeReady, wantBuilds: 3},
		{name: "a build that keeps failing marks the export failed", failBuilds: 100,
			wantOutcome: ExportOutcomeFailed, wantBuilds: exportBuildAttempts, wantReason: "the export could not be built; ask for a new one"},
		{name: "an account being erased is refused at once", refuse: true,
			wantOutcome: ExportOutcomeFailed, wantBuilds: 1, wantReason: "the account is being erased"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeExport{failBuilds: tc.failBuilds, refuse: tc.refuse}
			res := completed[ExportCustomerDataResult](t, runExport(t, f))
			if res.Outcome != tc.wantOutcome || f.builds != tc.wantBuilds {
				t.Fatalf("outcome %q after %d builds, want %q after %d", res.Outcome, f.builds, tc.wantOutcome, tc.wantBuilds)
			}
			if tc.wantOutcome == ExportOutcomeReady {
				if len(f.finished) != 1 || f.finished[0].LinkTTL != 72*time.Hour || f.finished[0].StorageKey != "exports/u/e1.zip" ||
					f.finished[0].Rows != 3 || len(f.failed) != 0 {
					t.Fatalf("finished %+v, failed %+v", f.finished, f.failed)
				}
				return
			}
			if len(f.finished) != 0 || len(f.failed) != 1 || f.failed[0].Reason != tc.wantReason {
				t.Fatalf("finished %+v, failed %+v; want failed with %q", f.finished, f.failed, tc.wantReason)
			}
		})
	}
}

// A finish that cannot succeed fails the workflow (the export stays running, visible to ops).
func TestExportCustomerDataFinishFails(t *testing.T) {
	t.Parallel()
	f := &fakeExport{}
	env := newTestEnv()
	env.RegisterWorkflowWithOptions(ExportCustomerData, workflow.RegisterOptions{Name: ExportCustomerDataWorkflowName})
	env.RegisterActivity(drActs)
	env.OnActivity(drActs.BuildExport, mock.Anything, mock.Anything).Return(f.build)
	env.OnActivity(drActs.FinishExport, mock.Anything, mock.Anything).Return(activities.FinishExportResult{},
		temporal.NewNonRetryableApplicationError("bad", "Bad", nil))
	env.ExecuteWorkflow(ExportCustomerDataWorkflowName, ExportCustomerDataInput{ExportID: "e1"})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() == nil {
		t.Fatal("want the workflow to fail")
	}
}

// fakeErasure plays the erasure's store: steps recorded done survive between runs, like the
// erasures row; failStep fails one step (transiently failTimes times, or for good).
type fakeErasure struct {
	mu        sync.Mutex
	done      map[string]int64
	calls     []string
	failStep  string
	failTimes int // -1: fail for good
	finished  []activities.FinishErasureInput
}

func (f *fakeErasure) step(_ context.Context, in activities.EraseStepInput) (activities.EraseStepResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in.Step)
	if n, ok := f.done[in.Step]; ok {
		return activities.EraseStepResult{Count: n, Skipped: true}, nil
	}
	if in.Step == f.failStep {
		if f.failTimes < 0 {
			return activities.EraseStepResult{}, temporal.NewNonRetryableApplicationError("redis gone", "Broken", nil)
		}
		if f.failTimes > 0 {
			f.failTimes--
			return activities.EraseStepResult{}, errors.New("redis timeout")
		}
	}
	f.done[in.Step] = int64(len(in.Step))
	return activities.EraseStepResult{Count: int64(len(in.Step))}, nil
}

func (f *fakeErasure) finish(_ context.Context, in activities.FinishErasureInput) (activities.FinishErasureResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finished = append(f.finished, in)
	return activities.FinishErasureResult{Counts: f.done}, nil
}

func runErasure(f *fakeErasure) *testsuite.TestWorkflowEnvironment {
	env := newTestEnv()
	env.RegisterWorkflowWithOptions(EraseCustomer, workflow.RegisterOptions{Name: EraseCustomerWorkflowName})
	env.RegisterActivity(drActs)
	env.OnActivity(drActs.EraseStep, mock.Anything, mock.Anything).Return(f.step)
	env.OnActivity(drActs.FinishErasure, mock.Anything, mock.Anything).Return(f.finish)
	env.ExecuteWorkflow(EraseCustomerWorkflowName, EraseCustomerInput{UserID: "u1", Actor: audit.Actor{AccountID: "admin", Role: "admin"}})
	return env
}

func TestEraseCustomerRunsEveryStepInOrder(t *testing.T) {
	t.Parallel()
	f := &fakeErasure{done: map[string]int64{}, failStep: store.EraseRedis, failTimes: 2}
	res := completed[EraseCustomerResult](t, runErasure(f))
	want := slices.Clone(store.ErasureSteps)
	want = slices.Insert(want, slices.Index(want, store.EraseRedis), store.EraseRedis, store.EraseRedis) // two retries
	if !slices.Equal(f.calls, want) {
		t.Fatalf("calls %v, want %v", f.calls, want)
	}
	if len(res.Resumed) != 0 || len(res.Counts) != len(store.ErasureSteps) || res.Counts[store.EraseProfile] != int64(len(store.EraseProfile)) {
		t.Fatalf("result %+v", res)
	}
	if len(f.finished) != 1 || f.finished[0].Actor.AccountID != "admin" || f.finished[0].UserID != "u1" {
		t.Fatalf("finished %+v", f.finished)
	}
}

// A step that fails for good fails the run before the audit record; a new run (the API starts
// one for a failed workflow) skips the steps done and finishes.
func TestEraseCustomerResumesAfterAFailedStep(t *testing.T) {
	t.Parallel()
	f := &fakeErasure{done: map[string]int64{}, failStep: store.EraseReviews, failTimes: -1}
	env := runErasure(f)
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() == nil || len(f.finished) != 0 {
		t.Fatalf("first run: error %v, finished %v; want failed before finishing", env.GetWorkflowError(), f.finished)
	}
	before := slices.Index(store.ErasureSteps, store.EraseReviews)
	if len(f.done) != before {
		t.Fatalf("%d steps done before the failure, want %d", len(f.done), before)
	}
	f.failStep, f.calls = "", nil
	res := completed[EraseCustomerResult](t, runErasure(f))
	if !slices.Equal(res.Resumed, store.ErasureSteps[:before]) || len(f.finished) != 1 || !slices.Equal(f.calls, store.ErasureSteps) {
		t.Fatalf("second run: resumed %v, calls %v, finished %d", res.Resumed, f.calls, len(f.finished))
	}
}

// A finish that fails for good fails the run; nothing is reported done.
func TestEraseCustomerFinishFails(t *testing.T) {
	t.Parallel()
	f := &fakeErasure{done: map[string]int64{}}
	env := newTestEnv()
	env.RegisterWorkflowWithOptions(EraseCustomer, workflow.RegisterOptions{Name: EraseCustomerWorkflowName})
	env.RegisterActivity(drActs)
	env.OnActivity(drActs.EraseStep, mock.Anything, mock.Anything).Return(f.step)
	env.OnActivity(drActs.FinishErasure, mock.Anything, mock.Anything).Return(activities.FinishErasureResult{},
		temporal.NewNonRetryableApplicationError("conflict", "Conflict", nil))
	env.ExecuteWorkflow(EraseCustomerWorkflowName, EraseCustomerInput{UserID: "u1"})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() == nil {
		t.Fatal("want the workflow to fail")
	}
}
