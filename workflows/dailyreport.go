package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

// Names of the daily report job.
const (
	DailyReportWorkflowName = "DailyReport"
	DailyReportScheduleID   = "dailyreport"
)

// DailyReportInput says which day to report; the Schedule leaves Date empty.
type DailyReportInput struct {
	// Date is the day, YYYY-MM-DD; empty means the day before the scheduled time (or, for runs
	// not started by the Schedule, the day before the run's start), in TimeZone.
	Date string
	// TimeZone is the IANA zone whose days are reported (SHOPFLOW_REPORTS_TIMEZONE), used only
	// to name the day when Date is empty; empty is UTC. The activity's storage and zone come
	// from the worker's config.
	TimeZone string
	// DigestBatchSize and DigestConcurrency tune the seller digest started after the report;
	// zero takes the digest's defaults. They travel in the input, not the worker's config, so a
	// config change never changes a running workflow's decisions.
	DigestBatchSize   int
	DigestConcurrency int
}

// DailyReportResult says what was published.
type DailyReportResult struct {
	Date  string
	Files int
	Rows  int64
	Bytes int64
}

// DailyReport builds and publishes one day's reports. The Schedule runs it at 00:15 in the
// report zone; the day is the zone's day before the Schedule's TemporalScheduledStartTime,
// never the clock's, so a run that starts late, or is made up after an outage, reports the day
// it was due for.
func DailyReport(ctx workflow.Context, in DailyReportInput) (DailyReportResult, error) {
	due, scheduled := scheduledTime(ctx)
	if !scheduled {
		due = workflow.Now(ctx)
	}
	date := in.Date
	if date == "" {
		var err error
		if date, err = reportDay(ctx, due, in.TimeZone); err != nil {
			return DailyReportResult{}, err
		}
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 10 * time.Second, MaximumAttempts: 5},
	})
	var a *activities.Reports
	var res activities.BuildDailyReportResult
	err := workflow.ExecuteActivity(ctx, a.BuildDailyReport, activities.BuildDailyReportInput{Date: date, GeneratedAt: due}).Get(ctx, &res)
	if err != nil {
		return DailyReportResult{Date: date}, err
	}
	if date == "" {
		date = res.Date // a history from before reportDayChange: the day its report was built for
	}
	// Every seller hears about its day once the day's report exists. The digest runs on its own
	// (abandoned child): it may take a while for 100,000 sellers, and the report is done.
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            SellerDigestWorkflowID(date),
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		ParentClosePolicy:     enums.PARENT_CLOSE_POLICY_ABANDON,
	})
	child := workflow.ExecuteChildWorkflow(cctx, SellerDigestWorkflowName,
		SellerDigestInput{Period: date, BatchSize: in.DigestBatchSize, Concurrency: in.DigestConcurrency})
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return DailyReportResult{Date: date}, fmt.Errorf("start seller digest for %s: %w", date, err)
	}
	return DailyReportResult{Date: date, Files: res.Files, Rows: res.Rows, Bytes: res.Bytes}, nil
}

// reportDayChange moved naming the day out of workflow code, where it read zone rules from
// disk, into the ReportDay activity.
const reportDayChange = "report-day-activity"

// reportDay is the day before due in the report zone, named by the ReportDay activity. In a
// history from before reportDayChange the day was named in workflow code and is already in
// the scheduled report's input, which a replay does not compare: reportDay answers "" and the
// caller takes the day from the report's result, so no zone rules are read in workflow code.
func reportDay(ctx workflow.Context, due time.Time, zone string) (string, error) {
	if workflow.GetVersion(ctx, reportDayChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return "", nil
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{NonRetryableErrorTypes: []string{activities.ErrTypeInvalidTimeZone}},
	})
	var a *activities.Reports
	var day activities.ReportDayResult
	err := workflow.ExecuteLocalActivity(lctx, a.ReportDay, activities.ReportDayInput{Due: due, TimeZone: zone}).Get(ctx, &day)
	return day.Date, err
}

// scheduledTime is when the Schedule meant this run to start, if a Schedule started it.
func scheduledTime(ctx workflow.Context) (time.Time, bool) {
	at, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(searchScheduledStartTime)
	return at, ok && !at.IsZero()
}
