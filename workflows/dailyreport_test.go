package workflows

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

var reportActs *activities.Reports

func newDailyReportEnv(t *testing.T, startedAt time.Time) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	env := newTestEnv()
	env.RegisterWorkflowWithOptions(DailyReport, workflow.RegisterOptions{Name: DailyReportWorkflowName})
	env.RegisterActivity(&activities.Reports{})
	// The report starts the day's seller digest; these tests are about the report, so the
	// digest is a stub here (TestDailyReportStartsTheSellerDigest checks what it is given).
	env.RegisterWorkflowWithOptions(SellerDigest, workflow.RegisterOptions{Name: SellerDigestWorkflowName})
	env.OnWorkflow(SellerDigestWorkflowName, mock.Anything, mock.Anything).Return(SellerDigestResult{}, nil).Maybe()
	env.SetStartTime(startedAt)
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

// In a report zone east of UTC the Schedule fires at local 00:15, which is still the previous
// day in UTC: the day reported is the zone's, not UTC's. West of UTC likewise.
func TestDailyReportNamesTheDayInTheReportZone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ zone, want string }{
		{"Asia/Tokyo", "2026-11-20"},          // 00:15 JST on the 21st = 15:15 UTC on the 20th
		{"America/Los_Angeles", "2026-11-20"}, // 00:15 PST on the 21st = 08:15 UTC on the 21st
		{"UTC", "2026-11-20"},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			t.Parallel()
			loc, err := time.LoadLocation(tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			scheduled := time.Date(2026, 11, 21, 0, 15, 0, 0, loc)
			env := newDailyReportEnv(t, scheduled.Add(time.Second))
			if err := env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(searchScheduledStartTime.ValueSet(scheduled.UTC()))); err != nil {
				t.Fatal(err)
			}
			env.OnActivity(reportActs.BuildDailyReport, mock.Anything, mock.MatchedBy(func(in activities.BuildDailyReportInput) bool {
				return in.Date == tc.want
			})).Return(activities.BuildDailyReportResult{Date: tc.want, Files: 2}, nil).Once()
			env.ExecuteWorkflow(DailyReport, DailyReportInput{TimeZone: tc.zone})
			if r := completed[DailyReportResult](t, env); r.Date != tc.want {
				t.Fatalf("reported %s, want %s", r.Date, tc.want)
			}
		})
	}
}

// An unknown zone fails the run at once, saying so, instead of reporting some other day.
func TestDailyReportRefusesAnUnknownZone(t *testing.T) {
	t.Parallel()
	env := newDailyReportEnv(t, time.Date(2026, 11, 21, 0, 15, 0, 0, time.UTC))
	env.ExecuteWorkflow(DailyReport, DailyReportInput{TimeZone: "Mars/Olympus_Mons"})
	err := env.GetWorkflowError()
	if err == nil || !strings.Contains(err.Error(), "Mars/Olympus_Mons") {
		t.Fatalf("workflow error %v, want one naming the zone", err)
	}
}

// The Schedule's run for 00:15 on the 21st reports the 20th, however late it starts, and stamps
// the manifest with the scheduled time, so a late or repeated run publishes the same bytes.
func TestDailyReportReportsTheDayBeforeTheScheduledTime(t *testing.T) {
	t.Parallel()
	scheduled := time.Date(2026, 11, 21, 0, 15, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		startedAt time.Time
	}{
		{"on time", scheduled.Add(3 * time.Second)},
		{"late, after an outage", scheduled.Add(20 * time.Hour)},
		{"made up the next day", scheduled.Add(25 * time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newDailyReportEnv(t, tc.startedAt)
			if err := env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(searchScheduledStartTime.ValueSet(scheduled))); err != nil {
				t.Fatal(err)
			}
			env.OnActivity(reportActs.BuildDailyReport, mock.Anything, activities.BuildDailyReportInput{Date: "2026-11-20", GeneratedAt: scheduled}).
				Return(activities.BuildDailyReportResult{Date: "2026-11-20", Files: 6, Rows: 40, Bytes: 9000}, nil).Once()
			env.ExecuteWorkflow(DailyReport, DailyReportInput{})
			r := completed[DailyReportResult](t, env)
			if r != (DailyReportResult{Date: "2026-11-20", Files: 6, Rows: 40, Bytes: 9000}) {
				t.Fatalf("result %+v", r)
			}
		})
	}
}

// A run started by hand reports the day it names.
func TestDailyReportByHandReportsTheNamedDay(t *testing.T) {
	t.Parallel()
	env := newDailyReportEnv(t, time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC))
	env.OnActivity(reportActs.BuildDailyReport, mock.Anything, mock.MatchedBy(func(in activities.BuildDailyReportInput) bool {
		return in.Date == "2026-10-03"
	})).Return(activities.BuildDailyReportResult{Date: "2026-10-03", Files: 2}, nil).Once()
	env.ExecuteWorkflow(DailyReport, DailyReportInput{Date: "2026-10-03"})
	if r := completed[DailyReportResult](t, env); r.Date != "2026-10-03" || r.Files != 2 {
		t.Fatalf("result %+v", r)
	}
}

// A failing build is retried; its error ends the run only when retries are spent.
func TestDailyReportRetriesTheBuild(t *testing.T) {
	t.Parallel()
	env := newDailyReportEnv(t, time.Date(2026, 11, 21, 0, 15, 0, 0, time.UTC))
	env.OnActivity(reportActs.BuildDailyReport, mock.Anything, mock.Anything).
		Return(activities.BuildDailyReportResult{}, errors.New("storage down")).Once()
	env.OnActivity(reportActs.BuildDailyReport, mock.Anything, mock.Anything).
		Return(activities.BuildDailyReportResult{Date: "2026-11-20", Files: 2}, nil).Once()
	env.ExecuteWorkflow(DailyReport, DailyReportInput{})
	if r := completed[DailyReportResult](t, env); r.Date != "2026-11-20" {
		t.Fatalf("result %+v", r)
	}
}

// TestDailyReportStartsTheSellerDigest: once a day's report is published, that day's seller
// digest starts with the configured batch size and concurrency.
func TestDailyReportStartsTheSellerDigest(t *testing.T) {
	env := newTestEnv()
	env.RegisterWorkflowWithOptions(DailyReport, workflow.RegisterOptions{Name: DailyReportWorkflowName})
	env.RegisterActivity(&activities.Reports{})
	env.RegisterWorkflowWithOptions(SellerDigest, workflow.RegisterOptions{Name: SellerDigestWorkflowName})
	env.OnActivity(reportActs.BuildDailyReport, mock.Anything, mock.Anything).Return(activities.BuildDailyReportResult{Files: 3}, nil).Once()
	env.OnWorkflow(SellerDigestWorkflowName, mock.Anything, SellerDigestInput{Period: "2026-11-19", BatchSize: 200, Concurrency: 3}).
		Return(SellerDigestResult{}, nil).Once()
	env.ExecuteWorkflow(DailyReport, DailyReportInput{Date: "2026-11-19", DigestBatchSize: 200, DigestConcurrency: 3})
	if r := completed[DailyReportResult](t, env); r.Date != "2026-11-19" || r.Files != 3 {
		t.Fatalf("result %+v", r)
	}
	env.AssertExpectations(t)
}

// A run recorded before the day was named by an activity named it in workflow code, and its
// report's input holds that day; replayed now, the run names its digest after the day its
// report was built for, reading no zone rules.
func TestDailyReportFromBeforeTheDayActivityTakesTheReportsDay(t *testing.T) {
	t.Parallel()
	env := newDailyReportEnv(t, time.Date(2026, 11, 21, 0, 15, 0, 0, time.UTC))
	env.OnGetVersion(reportDayChange, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	env.OnActivity(reportActs.BuildDailyReport, mock.Anything, mock.Anything).
		Return(activities.BuildDailyReportResult{Date: "2026-11-20", Files: 2}, nil).Once()
	env.ExecuteWorkflow(DailyReport, DailyReportInput{TimeZone: "Mars/Olympus_Mons"}) // no zone is read
	if r := completed[DailyReportResult](t, env); r.Date != "2026-11-20" {
		t.Fatalf("reported %s, want the report's day 2026-11-20", r.Date)
	}
	env.AssertNotCalled(t, "ReportDay", mock.Anything, mock.Anything)
}
