package main

import (
	"strings"
	"testing"
	"time"
)

// The baseline is the copies taken together; the ratio compares Shopflow's lines/s with it.
func TestReportRatio(t *testing.T) {
	r := report{Lines: 100_000, ChunkLines: 50_000, Copies: []time.Duration{100 * time.Millisecond, 300 * time.Millisecond},
		Shopflow: 4 * time.Second}
	if got := r.copyPerSecond(); got != 500_000 {
		t.Errorf("baseline %.0f lines/s, want 200,000 lines in 0.4 s = 500,000", got)
	}
	md := r.markdown()
	for _, want := range []string{"run 1 of 2 | 100000 | 0.10 s | 1000000 |", "| 100000 | 4.00 s | **25000** |",
		"Ratio shopflow / raw COPY (its runs together: 500000 lines/s): **0.050** (target >= 0.5: **no**)"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if perSecond(10, 0) != 0 {
		t.Error("no time measured should give 0 lines/s, not an infinity")
	}
}
