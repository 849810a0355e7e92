package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
)

// The day reported is the day before the due time in the report zone: at 00:15 in Tokyo it is
// still the previous day in UTC, and the zone's day is the one named.
func TestReportDayIsTheZonesDayBefore(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 11, 21, 0, 15, 0, 0, tokyo)
	for zone, want := range map[string]string{"Asia/Tokyo": "2026-11-20", "": "2026-11-19", "UTC": "2026-11-19"} {
		got, err := (&Reports{}).ReportDay(context.Background(), ReportDayInput{Due: due, TimeZone: zone})
		if err != nil || got.Date != want {
			t.Errorf("zone %q: %+v, %v; want %s", zone, got, err, want)
		}
	}
}

// An unknown zone is a final failure naming the zone: retrying cannot fix it.
func TestReportDayRefusesAnUnknownZone(t *testing.T) {
	_, err := (&Reports{}).ReportDay(context.Background(), ReportDayInput{Due: time.Now(), TimeZone: "Mars/Olympus_Mons"})
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != ErrTypeInvalidTimeZone || !app.NonRetryable() {
		t.Fatalf("error %v, want a non-retryable %s", err, ErrTypeInvalidTimeZone)
	}
}
