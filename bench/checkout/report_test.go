package main

import (
	"strings"
	"testing"
	"time"
)

// The ratio is judged on each phase's total over its rounds, latency on the worst round, and
// each round's own ratio is shown: one slow round must not decide the verdict alone.
func TestReportCombinesRounds(t *testing.T) {
	ph := func(name string, round, completed int, p95 time.Duration) phase {
		return phase{Name: name, Round: round, Completed: completed, Window: 10 * time.Second,
			Latency: latency{N: completed, P50: p95 / 2, P95: p95, P99: p95}}
	}
	r := report{Phases: []phase{
		ph("bare", 1, 1000, 300*time.Millisecond), ph("checkout", 1, 500, 700*time.Millisecond),
		ph("bare", 2, 1200, 250*time.Millisecond), ph("checkout", 2, 780, 900*time.Millisecond),
	}}
	co := r.total("checkout")
	if co.Completed != 1280 || co.Window != 20*time.Second || co.PerSecond() != 64 {
		t.Errorf("checkout over its rounds: %d ops in %s (%.1f/s), want 1280 in 20s (64.0/s)", co.Completed, co.Window, co.PerSecond())
	}
	if co.Latency.P95 != 900*time.Millisecond {
		t.Errorf("checkout p95 over its rounds %s, want the worst round's 900ms", co.Latency.P95)
	}
	if got := r.ratio(); got < 0.5818 || got > 0.5819 {
		t.Errorf("ratio %.4f, want 64 / 110 = 0.5818", got)
	}
	md := r.markdown()
	for _, want := range []string{"| 1 | 100.0 | 50.0 | 0.50 |", "| 2 | 120.0 | 78.0 | 0.65 |", "| **64.0** | **0.582** |",
		"worst round: 450 ms / 900 ms / 900 ms", ">= 100 checkouts/s: **no** (64.0)", "checkout / bare >= 0.6: **no** (0.582)"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if r.Phases[1].Completed != 500 {
		t.Errorf("totalling the rounds changed round 1: %+v", r.Phases[1])
	}
}

// Latency quantiles come from the sorted durations; no durations give zeros, shown as "-".
func TestLatency(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	l := newLatency(d)
	if l.N != 100 || l.P50 != 51*time.Millisecond || l.P95 != 96*time.Millisecond || l.P99 != 100*time.Millisecond {
		t.Errorf("latency of 1..100 ms: %+v", l)
	}
	if (newLatency(nil) != latency{}) || ms(0) != "-" {
		t.Error("no durations should give zero latency, shown as -")
	}
}
