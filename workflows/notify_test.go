package workflows

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"shopflow/activities"
)

func TestDeliverOutboxDrainsInBatches(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	var a *activities.Notify
	env.OnActivity(a.DeliverOutbox, mock.Anything, activities.DeliverOutboxInput{AfterID: 0, Limit: 2}).
		Return(activities.DeliverOutboxResult{Items: 2, LastID: 7, Sent: 2}, nil).Once()
	env.OnActivity(a.DeliverOutbox, mock.Anything, activities.DeliverOutboxInput{AfterID: 7, Limit: 2}).
		Return(activities.DeliverOutboxResult{Items: 1, LastID: 9, Retry: 1}, nil).Once()
	env.OnActivity(a.DeliverFiles, mock.Anything, activities.DeliverFilesInput{Limit: 5}).
		Return(activities.DeliverFilesResult{Files: 1, Rows: 3}, nil).Once()
	env.ExecuteWorkflow(DeliverOutbox, DeliverOutboxInput{BatchSize: 2})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res DeliverOutboxResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Sent != 2 || res.Retry != 1 || res.Files != 1 {
		t.Fatalf("result %+v", res)
	}
	env.AssertExpectations(t)
}
