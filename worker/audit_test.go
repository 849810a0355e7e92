package worker

import (
	"testing"
	"time"

	"shopflow/config"
	"shopflow/workflows"
)

// The audit retention runs once a day at 03:30 UTC with the configured retention, and is among
// the Schedules the deploy step keeps.
func TestAuditRetentionSchedule(t *testing.T) {
	cfg := config.Config{TopSellersWindow: 24 * time.Hour, ReservationSweepInterval: time.Minute, IngestInterval: 15 * time.Minute}
	cfg.AuditRetention = 400 * 24 * time.Hour
	for _, s := range schedules(cfg) {
		if s.id != workflows.AuditRetentionScheduleID {
			continue
		}
		spec := s.spec()
		if len(spec.Intervals) != 1 || spec.Intervals[0].Every != 24*time.Hour || spec.Intervals[0].Offset != 3*time.Hour+30*time.Minute {
			t.Fatalf("audit retention spec %+v, want every 24h at 03:30 UTC", spec)
		}
		in, ok := s.args[0].(workflows.AuditRetentionInput)
		if !ok || in.Retention != cfg.AuditRetention || in.ChunkSize <= 0 || s.workflow != workflows.AuditRetentionWorkflowName {
			t.Fatalf("audit retention action %s %+v", s.workflow, s.args[0])
		}
		if s.timeout <= 0 || s.catchup != 24*time.Hour {
			t.Fatalf("audit retention timeout %s, catch-up %s", s.timeout, s.catchup)
		}
		return
	}
	t.Fatal("no audit retention schedule")
}
