package main

import (
	"strings"
	"testing"
	"time"
)

// The idle baseline is both idle phases together, and each ingest mode's p95 is compared with it.
func TestReportRatios(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	r := report{Lines: 100_000, Clients: 4, Phases: []phase{
		{Name: "idle", Latencies: ms(100, 100)},
		{Name: "shared", Latencies: ms(300, 300, 300), Ingest: 10 * time.Second},
		{Name: "separate", Latencies: ms(150, 150), Ingest: 5 * time.Second},
		{Name: "idle", Latencies: ms(100, 100)},
	}}
	md := r.markdown()
	for _, want := range []string{"| idle (no ingest), before and after | 4 | 0 | 100 ms | 100 ms | 100 ms | - |",
		"one shared task queue and worker | 3 | 0 | 300 ms | 300 ms | 300 ms | 10000 |", "| 20000 |",
		"shared queue **3.00x**, separate queues **1.50x**"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if quantile(nil, 0.95) != 0 {
		t.Error("no latencies should give 0")
	}
}
