package worker

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"shopflow/activities"
	"shopflow/config"
	"shopflow/workflows"
)

// Every scheduled run may retry after a failure, and has a timeout of its own.
func TestScheduledRunsRetryAndAreBounded(t *testing.T) {
	cfg := config.Config{TopSellersWindow: 24 * time.Hour, ReservationSweepInterval: time.Minute, IngestInterval: 15 * time.Minute}
	for _, s := range schedules(cfg) {
		a := s.action("q")
		if a.WorkflowExecutionTimeout <= 0 {
			t.Errorf("schedule %s: runs have no timeout", s.id)
		}
		if a.RetryPolicy == nil || a.RetryPolicy.MaximumAttempts < 2 {
			t.Errorf("schedule %s: a failed run is not retried (%+v)", s.id, a.RetryPolicy)
		}
	}
}

// A large day: the report's activity runs close to its 30-minute limit and fails four times
// before it succeeds. The run the Schedule starts still completes within its timeout (with the
// old 10-minute timeout it failed, and the day had no report and no digest).
func TestScheduledDailyReportOutlastsItsSlowestActivity(t *testing.T) {
	cfg := config.Config{TopSellersWindow: 24 * time.Hour, ReservationSweepInterval: time.Minute, IngestInterval: 15 * time.Minute}
	var action *client.ScheduleWorkflowAction
	for _, s := range reportSchedules(cfg) {
		action = s.action("reports")
	}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	workflows.Register(env)
	env.RegisterActivity(&activities.Reports{})
	env.OnWorkflow(workflows.SellerDigestWorkflowName, mock.Anything, mock.Anything).Return(workflows.SellerDigestResult{}, nil).Maybe()
	env.SetWorkflowRunTimeout(action.WorkflowExecutionTimeout)
	var reports *activities.Reports
	env.OnActivity(reports.BuildDailyReport, mock.Anything, mock.Anything).After(29*time.Minute).
		Return(activities.BuildDailyReportResult{}, errors.New("statement timeout")).Times(4)
	env.OnActivity(reports.BuildDailyReport, mock.Anything, mock.Anything).After(29*time.Minute).
		Return(activities.BuildDailyReportResult{Date: "2026-11-20", Files: 2}, nil).Once()
	env.ExecuteWorkflow(workflows.DailyReportWorkflowName, action.Args...)
	if !env.IsWorkflowCompleted() {
		t.Fatal("the report run did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("the report run failed: %v", err)
	}
	env.AssertExpectations(t)
}
