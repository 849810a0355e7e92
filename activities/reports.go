package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"shopflow/report"
)

// Reports holds what the daily report job needs: Postgres, where the sales facts are, and the
// storage the files are published to.
type Reports struct {
	DB      report.DB
	Storage report.Storage
	// Location is the zone whose days are reported (SHOPFLOW_REPORTS_TIMEZONE); nil means UTC.
	Location *time.Location
	// StagingDir holds files while they are written; empty means the system's temporary dir.
	StagingDir string
}

// BuildDailyReportInput names the day to report.
type BuildDailyReportInput struct {
	Date string // YYYY-MM-DD
	// GeneratedAt goes into the manifest: the Schedule's time, so a rerun is byte-identical.
	GeneratedAt time.Time
}

// BuildDailyReportResult says what was published.
type BuildDailyReportResult struct {
	Date  string
	Files int
	// Rows is the platform report's row count (products sold or refunded that day).
	Rows  int64
	Bytes int64
}

// BuildDailyReport computes the day's reports and publishes them, manifest last. Running it
// again (a retry after a worker died mid-report) publishes the same bytes; files of the
// interrupted attempt were never visible under their final names.
func (a *Reports) BuildDailyReport(ctx context.Context, in BuildDailyReportInput) (BuildDailyReportResult, error) {
	if a.DB == nil || a.Storage == nil {
		return BuildDailyReportResult{}, temporal.NewNonRetryableApplicationError("the report worker has no Postgres or storage", "Misconfigured", nil)
	}
	if _, err := report.ParseDate(in.Date); err != nil {
		return BuildDailyReportResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "InvalidDate", err)
	}
	m, err := report.BuildDaily(ctx, a.DB, a.Storage, report.DailyOptions{
		Date: in.Date, Location: a.Location, GeneratedAt: in.GeneratedAt, StagingDir: a.StagingDir,
		Progress: func(rows int64) { activity.RecordHeartbeat(ctx, rows) },
	})
	if err != nil {
		return BuildDailyReportResult{}, err
	}
	res := BuildDailyReportResult{Date: m.Date, Files: len(m.Files)}
	for _, f := range m.Files {
		res.Bytes += f.Bytes
		if f.Name == report.PlatformCSV {
			res.Rows = f.Rows
		}
	}
	return res, nil
}

// ErrTypeInvalidTimeZone is the error type of a report zone that the zone rules do not know.
const ErrTypeInvalidTimeZone = "InvalidTimeZone"

// ReportDayInput asks which day a report run due at Due covers.
type ReportDayInput struct {
	Due time.Time
	// TimeZone is the IANA zone whose days are reported; empty is UTC.
	TimeZone string
}

// ReportDayResult is the day to report, YYYY-MM-DD.
type ReportDayResult struct {
	Date string
}

// ReportDay names the day before Due in the report zone. Zone rules are read from the
// system's tzdata (else the copy embedded in the binary), which is I/O and may differ between
// machines, so it is an activity: its answer is recorded, and a replay on a worker whose
// tzdata differs reuses it instead of naming another day.
func (a *Reports) ReportDay(_ context.Context, in ReportDayInput) (ReportDayResult, error) {
	loc := time.UTC
	if in.TimeZone != "" {
		l, err := time.LoadLocation(in.TimeZone)
		if err != nil {
			msg := fmt.Sprintf("report time zone %q: %v", in.TimeZone, err)
			return ReportDayResult{}, temporal.NewNonRetryableApplicationError(msg, ErrTypeInvalidTimeZone, err)
		}
		loc = l
	}
	return ReportDayResult{Date: in.Due.In(loc).AddDate(0, 0, -1).Format(time.DateOnly)}, nil
}
