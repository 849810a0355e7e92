package workflows

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

func TestDeliverOutboxDrainsInBatches(t *testing.T) {
	env := newTestEnv()
	var a *activities.Notify
	env.OnActivity(a.DeliverOutbox, mock.Anything, activities.DeliverOutboxInput{AfterID: 0, Limit: 2}).
		Return(activities.DeliverOutboxResult{Items: 2, LastID: 7, Sent: 2}, nil).Once()
	env.OnActivity(a.DeliverOutbox, mock.Anything, activities.DeliverOutboxInput{AfterID: 7, Limit: 2}).
		Return(activities.DeliverOutboxResult{Items: 1, LastID: 9, Retry: 1}, nil).Once()
	env.OnActivity(a.DeliverFiles, mock.Anything, activities.DeliverFilesInput{Limit: 5}).
		Return(activities.DeliverFilesResult{Files: 1, Rows: 3}, nil).Once()
	env.ExecuteWorkflow(DeliverOutbox, DeliverOutboxInput{BatchSize: 2})
	res := completed[DeliverOutboxResult](t, env)
	if res.Sent != 2 || res.Retry != 1 || res.Files != 1 {
		t.Fatalf("result %+v", res)
	}
	env.AssertExpectations(t)
}

// A push that arrives while a drain runs (an item committed after its batch query) makes the
// workflow drain again before it finishes; pushes received together need one more drain, not
// one each.
func TestDeliverOutboxDrainsAgainWhenPushedMeanwhile(t *testing.T) {
	env := newTestEnv()
	var a *activities.Notify
	drains := 0
	env.OnActivity(a.DeliverOutbox, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.DeliverOutboxInput) (activities.DeliverOutboxResult, error) {
			drains++
			if drains == 1 {
				for range 3 {
					env.SignalWorkflow(DeliverOutboxSignal, nil)
				}
			}
			return activities.DeliverOutboxResult{Items: 1, LastID: int64(drains), Sent: 1}, nil
		})
	env.OnActivity(a.DeliverFiles, mock.Anything, mock.Anything).Return(activities.DeliverFilesResult{}, nil).Times(2)
	env.ExecuteWorkflow(DeliverOutbox, DeliverOutboxInput{BatchSize: 2})
	res := completed[DeliverOutboxResult](t, env)
	env.AssertExpectations(t)
	if drains != 2 || res.Sent != 2 {
		t.Fatalf("%d drains, result %+v; want 2 drains", drains, res)
	}
}

// A push workflow kept busy continues as new rather than growing its history without end.
func TestDeliverOutboxContinuesAsNewWhenAlwaysPushed(t *testing.T) {
	env := newTestEnv()
	var a *activities.Notify
	drains := 0
	env.OnActivity(a.DeliverOutbox, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.DeliverOutboxInput) (activities.DeliverOutboxResult, error) {
			drains++
			env.SignalWorkflow(DeliverOutboxSignal, nil)
			return activities.DeliverOutboxResult{}, nil
		})
	files := 0
	env.OnActivity(a.DeliverFiles, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.DeliverFilesInput) (activities.DeliverFilesResult, error) {
			files++
			return activities.DeliverFilesResult{}, nil
		})
	env.ExecuteWorkflow(DeliverOutbox, DeliverOutboxInput{})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow ended with %v, want continue-as-new", err)
	}
	if drains != deliverOutboxRounds || files != deliverOutboxRounds {
		t.Fatalf("%d drains and %d file deliveries before continuing as new, want %d of each", drains, files, deliverOutboxRounds)
	}
}

// A push that arrives while the files are delivered (the round's last step) is read before the
// run completes and answered by one more round.
func TestDeliverOutboxDrainsAgainWhenPushedDuringFiles(t *testing.T) {
	env := newTestEnv()
	var a *activities.Notify
	drains, files := 0, 0
	env.OnActivity(a.DeliverOutbox, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.DeliverOutboxInput) (activities.DeliverOutboxResult, error) {
			drains++
			return activities.DeliverOutboxResult{}, nil
		})
	env.OnActivity(a.DeliverFiles, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.DeliverFilesInput) (activities.DeliverFilesResult, error) {
			files++
			if files == 1 {
				env.SignalWorkflow(DeliverOutboxSignal, nil)
			}
			return activities.DeliverFilesResult{}, nil
		})
	env.ExecuteWorkflow(DeliverOutbox, DeliverOutboxInput{})
	completed[DeliverOutboxResult](t, env)
	if drains != 2 || files != 2 {
		t.Fatalf("%d drains, %d file deliveries; want 2 rounds", drains, files)
	}
}
