package worker

import (
	"time"

	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/config"
	"shopflow/report"
	"shopflow/workflows"
)

// ReportConfig is the report storage and time zone the worker uses. Until config.Config has
// SHOPFLOW_REPORTS_* fields it is the default (local .dev/reports, UTC days); cmd/shopflow
// should fill it from config and pass the storage in Deps.
func ReportConfig(cfg config.Config) report.Config {
	return report.Config{Dir: cfg.ReportsDir, TimeZone: cfg.ReportsTimeZone, S3: report.S3Config{
		Endpoint: cfg.ReportsS3Endpoint, Bucket: cfg.ReportsS3Bucket, AccessKey: cfg.ReportsS3AccessKey,
		SecretKey: cfg.ReportsS3SecretKey, UseTLS: cfg.ReportsS3TLS, Region: cfg.ReportsS3Region, Prefix: cfg.ReportsS3Prefix,
	}}
}

// registerReports registers the daily report workflow and activities.
func registerReports(w sdkworker.Registry, d Deps) {
	w.RegisterWorkflowWithOptions(workflows.DailyReport, workflow.RegisterOptions{Name: workflows.DailyReportWorkflowName})
	a := &activities.Reports{}
	rc := ReportConfig(d.Config)
	// A misconfigured storage or zone leaves the field nil: the activity then fails, saying so,
	// instead of the whole worker refusing to start.
	if st, err := rc.OpenStorage(); err == nil {
		a.Storage = st
	}
	if loc, err := rc.Location(); err == nil {
		a.Location = loc
	}
	if d.Store != nil {
		a.DB = d.Store.Pool
	}
	w.RegisterActivity(a)
}

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
		workflow: workflows.DailyReportWorkflowName,
		args: []any{workflows.DailyReportInput{TimeZone: zone,
			DigestBatchSize: cfg.DigestBatchSize, DigestConcurrency: cfg.DigestConcurrency}},
	}}
}
