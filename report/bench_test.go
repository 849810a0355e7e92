package report_test

import (
	"context"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"shopflow/ranking/rankingtest"
	"shopflow/report"
	"shopflow/store/storetest"
)

// BenchmarkDailyReport builds the report of a day of SHOPFLOW_BENCH_FACTS sale lines (default
// 1,000,000) over 20,000 products of 1,000 sellers, to a local directory, and reports the
// process's peak RSS. The target is under 60 s and 200 MB for a million lines.
//
//	go test ./report -run '^$' -bench DailyReport -benchtime 1x
func BenchmarkDailyReport(b *testing.B) {
	facts := 1_000_000
	if v := os.Getenv("SHOPFLOW_BENCH_FACTS"); v != "" {
		facts, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	pool := storetest.NewPool(b)
	if _, err := rankingtest.Seed(ctx, pool, rankingtest.Spec{Roots: 10, Fanout: 5, Depth: 2, Sellers: 1000, Products: 20000,
		Facts: facts, Hours: 24, End: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Seed: 0.3}); err != nil {
		b.Fatal(err)
	}
	st := report.Local{Dir: b.TempDir()}
	b.ResetTimer()
	var m report.Manifest
	for b.Loop() {
		var err error
		if m, err = report.BuildDaily(ctx, pool, st, report.DailyOptions{Date: "2026-11-20", StagingDir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	b.ReportMetric(float64(len(m.Files)), "files")
	b.ReportMetric(float64(m.Files[0].Rows), "rows")
	b.ReportMetric(float64(facts), "lines")
}
