package main

import (
	"strings"
	"testing"
)

// The ratio compares the means over the rounds; the p99 verdict takes the API's worst round.
func TestReportSummary(t *testing.T) {
	r := report{Runs: []wrkResult{
		{Name: "api", Round: 1, PerSecond: 60000, P99: 8}, {Name: "static", Round: 1, PerSecond: 70000, P99: 7},
		{Name: "api", Round: 2, PerSecond: 50000, P99: 11}, {Name: "static", Round: 2, PerSecond: 80000, P99: 6},
	}}
	api, p99 := r.summary("api")
	if api != 55000 || p99 != 11 {
		t.Errorf("api summary %.0f requests/s, p99 %.0f ms; want 55000 and 11", api, p99)
	}
	md := r.markdown()
	for _, want := range []string{"ratio **0.733** (target >= 0.7: yes)", "API p99 **11.00 ms**, worst round (target < 10 ms: **no**"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
