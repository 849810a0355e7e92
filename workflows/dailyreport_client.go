package workflows

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// DailyReportWorkflowID is the workflow ID of a run started by hand for a day, e.g.
// report-2026-11-20. (Runs of the Schedule are named by Temporal: dailyreport-<scheduled time>.)
func DailyReportWorkflowID(date string) string { return "report-" + date }

// ReportJobs runs the daily report on demand; the API holds one (api.ReportJobs), and
// `shopflow report` uses it to backfill.
type ReportJobs struct {
	Client    client.Client
	TaskQueue string
	// DigestBatchSize and DigestConcurrency tune the seller digest each report starts.
	DigestBatchSize   int
	DigestConcurrency int
}

// TriggerDailyReport (re)builds the reports of day and returns the run's workflow ID. A run
// for that day already going is reused; a finished one is run again (same bytes, unless sales
// of that day were counted since).
func (j *ReportJobs) TriggerDailyReport(ctx context.Context, day time.Time) (string, error) {
	run, err := j.start(ctx, day)
	if err != nil {
		return "", err
	}
	return run.GetID(), nil
}

// RunDailyReport builds the reports of day and waits for the result.
func (j *ReportJobs) RunDailyReport(ctx context.Context, day time.Time) (DailyReportResult, error) {
	var res DailyReportResult
	run, err := j.start(ctx, day)
	if err != nil {
		return res, err
	}
	if err := run.Get(ctx, &res); err != nil {
		return res, fmt.Errorf("daily report %s: %w", day.Format(time.DateOnly), err)
	}
	return res, nil
}

func (j *ReportJobs) start(ctx context.Context, day time.Time) (client.WorkflowRun, error) {
	date := day.Format(time.DateOnly)
	opts := client.StartWorkflowOptions{
		ID:                       DailyReportWorkflowID(date),
		TaskQueue:                j.TaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionTimeout: time.Hour,
	}
	run, err := j.Client.ExecuteWorkflow(ctx, opts, DailyReportWorkflowName, DailyReportInput{Date: date, DigestBatchSize: j.DigestBatchSize, DigestConcurrency: j.DigestConcurrency})
	if err != nil {
		return nil, fmt.Errorf("start daily report for %s: %w", date, err)
	}
	return run, nil
}
