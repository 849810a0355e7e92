package worker

import (
	"testing"
	"time"

	"shopflow/config"
	"shopflow/workflows"
)

// The daily report fires at 00:15 in the report zone (a calendar spec the server evaluates in
// that zone, daylight saving included) and tells the workflow the zone, so that the day the
// workflow names is the day that just ended there; the hourly jobs keep plain intervals.
func TestDailyReportScheduleFollowsTheReportZone(t *testing.T) {
	cfg := config.Config{ReportsTimeZone: "America/New_York", TopSellersWindow: 24 * time.Hour, ReservationSweepInterval: time.Minute,
		IngestInterval: 15 * time.Minute}
	var found bool
	for _, s := range schedules(cfg) {
		spec := s.spec()
		if s.id != workflows.DailyReportScheduleID {
			if len(spec.Intervals) != 1 || len(spec.Calendars) != 0 {
				t.Errorf("schedule %s: spec %+v, want one interval", s.id, spec)
			}
			continue
		}
		found = true
		if spec.TimeZoneName != "America/New_York" || len(spec.Calendars) != 1 || len(spec.Intervals) != 0 {
			t.Fatalf("daily report spec %+v, want one calendar in America/New_York", spec)
		}
		c := spec.Calendars[0]
		if len(c.Hour) != 1 || c.Hour[0].Start != 0 || len(c.Minute) != 1 || c.Minute[0].Start != 15 ||
			len(c.DayOfMonth) != 1 || c.DayOfMonth[0].End != 31 {
			t.Errorf("daily report calendar %+v, want every day at 00:15", c)
		}
		in, ok := s.args[0].(workflows.DailyReportInput)
		if !ok || in.TimeZone != "America/New_York" {
			t.Errorf("daily report input %+v, want the zone passed on", s.args[0])
		}
	}
	if !found {
		t.Fatal("no daily report schedule")
	}
	cfg.ReportsTimeZone = ""
	for _, s := range reportSchedules(cfg) {
		if s.spec().TimeZoneName != "UTC" {
			t.Errorf("no zone configured: spec zone %q, want UTC", s.spec().TimeZoneName)
		}
	}
}

// Sagas the reservation sweep restarts wait for payment as long as the API's sagas do
// (SHOPFLOW_PAYMENT_TIMEOUT), not the saga's 5-minute default.
func TestSweepScheduleCarriesThePaymentTimeout(t *testing.T) {
	cfg := config.Config{PaymentTimeout: 20 * time.Minute, TopSellersWindow: 24 * time.Hour, ReservationSweepInterval: time.Minute,
		IngestInterval: 15 * time.Minute}
	for _, s := range schedules(cfg) {
		if s.id != workflows.SweepScheduleID {
			continue
		}
		if in, ok := s.args[0].(workflows.SweepInput); !ok || in.PaymentTimeout != cfg.PaymentTimeout {
			t.Fatalf("sweep input %+v, want PaymentTimeout %s", s.args[0], cfg.PaymentTimeout)
		}
		return
	}
	t.Fatal("no reservation sweep schedule")
}
