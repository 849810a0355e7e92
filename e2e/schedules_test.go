package e2e

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"shopflow/worker"
	"shopflow/workflows"
)

// The Schedules a worker keeps, as the real server evaluates them: the daily report fires at
// 00:15 local time of SHOPFLOW_REPORTS_TIMEZONE (here Los Angeles, 08:15 UTC in winter) and
// the hourly ranking at minute 1. Schedule ids are per namespace, so the test has a namespace
// of its own.
func TestSchedulesFireInTheReportZone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutWorker())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := "e2e-sched-" + randHex(4)
	nsc, err := client.NewNamespaceClient(client.Options{HostPort: suite.address, Logger: temporalLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer nsc.Close()
	if err := nsc.Register(ctx, &workflowservice.RegisterNamespaceRequest{Namespace: ns,
		WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(client.Options{HostPort: suite.address, Namespace: ns, Logger: temporalLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	cfg := e.cfg
	cfg.ReportsTimeZone = "America/Los_Angeles"
	cfg.TemporalNamespace = ns
	// A new namespace reaches every part of the server within seconds.
	eventually(t, time.Minute, func() (bool, error) {
		return worker.EnsureSchedules(ctx, c, cfg) == nil, nil
	}, func() string { return "the schedules created in namespace " + ns })
	// Ensuring again is an update in place, not an error.
	if err := worker.EnsureSchedules(ctx, c, cfg); err != nil {
		t.Fatalf("ensure schedules again: %v", err)
	}

	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	next := func(id string) []time.Time {
		t.Helper()
		d, err := c.ScheduleClient().GetHandle(ctx, id).Describe(ctx)
		if err != nil {
			t.Fatalf("describe schedule %s: %v", id, err)
		}
		if len(d.Info.NextActionTimes) < 3 {
			t.Fatalf("schedule %s: next actions %v", id, d.Info.NextActionTimes)
		}
		return d.Info.NextActionTimes
	}
	for _, at := range next(workflows.DailyReportScheduleID) {
		if local := at.In(la); local.Hour() != 0 || local.Minute() != 15 {
			t.Errorf("daily report fires at %s (%s in Los Angeles), want 00:15 there", at.UTC().Format(time.RFC3339), local.Format("15:04 MST"))
		}
	}
	for _, at := range next(workflows.TopSellersScheduleID) {
		if at.Minute() != 1 || at.Second() != 0 {
			t.Errorf("top sellers fires at %s, want minute 1 of an hour", at.UTC().Format(time.RFC3339))
		}
	}
}
