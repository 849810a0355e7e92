package worker

import (
	"time"

	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/activities"
	"shopflow/config"
	"shopflow/workflows"
)

// registerReports registers the daily report activities.
func registerReports(w sdkworker.Registry, d Deps) {
	a := &activities.Reports{Storage: d.ReportFiles, Location: d.ReportZone}
	if d.Store != nil {
		a.DB = d.Store.Pool
	}
	w.RegisterActivity(a)
}

// reportRunTimeout bounds one daily report run: well over the five 30-minute attempts its
// activity may take, and well under the day until the next run.
const reportRunTimeout = 6 * time.Hour

// reportSchedules are the report Schedules: every day at 00:15 in the report time zone
// (SHOPFLOW_REPORTS_TIMEZONE, UTC by default), reporting that zone's previous day (a quarter of
// an hour's grace for the day's last sales), with a day of catch-up so a worker outage still
// reports each day. The zone travels in the input too, so the workflow names the same day the
// Schedule meant.
func reportSchedules(cfg config.Config) []schedule {
	zone := cfg.ReportsTimeZone
	if zone == "" {
		zone = "UTC"
	}
	return []schedule{{
		id:       workflows.DailyReportScheduleID,
		daily:    &dailyAt{hour: 0, minute: 15, zone: zone},
		catchup:  24 * time.Hour,
		queue:    config.QueueBatch,
		workflow: workflows.DailyReportWorkflowName,
		args: []any{workflows.DailyReportInput{TimeZone: zone,
			DigestBatchSize: cfg.DigestBatchSize, DigestConcurrency: cfg.DigestConcurrency}},
		// The report's activity may take 30 minutes an attempt and 5 attempts, so a large day
		// fits with room; the seller digests it starts run on their own.
		timeout: reportRunTimeout,
	}}
}
