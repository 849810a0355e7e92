package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// With --rounds, the targets are judged on each phase's total over its rounds, and the report
// shows each round's ratio: one slow round must not decide the verdict alone.
func TestReportCombinesRounds(t *testing.T) {
	phase := func(name string, round, completed int, p95 time.Duration) *phaseResult {
		return &phaseResult{Name: name, Round: round, Unit: "ops", Window: 10 * time.Second, Completed: completed,
			Latency: latencyStats{N: completed, P50: p95 / 2, P95: p95, P99: p95, Max: p95}}
	}
	r := &report{Options: options{Rounds: 2}, Results: []*phaseResult{
		phase("bare-local", 1, 1000, 300*time.Millisecond),
		phase("checkout", 1, 500, 700*time.Millisecond),
		phase("bare-local", 2, 1200, 250*time.Millisecond),
		phase("checkout", 2, 780, 900*time.Millisecond),
	}}
	co := r.result("checkout")
	if co.Completed != 1280 || co.Window != 20*time.Second || co.Throughput() != 64 {
		t.Errorf("checkout over its rounds: %d ops in %s (%.1f/s), want 1280 in 20s (64.0/s)", co.Completed, co.Window, co.Throughput())
	}
	if co.Latency.P95 != 900*time.Millisecond {
		t.Errorf("checkout p95 over its rounds %s, want the worst round's 900ms", co.Latency.P95)
	}
	if got := r.roundRatios(); !slices.Equal(got, []string{"0.50", "0.65"}) {
		t.Errorf("per-round ratios %q, want 0.50 and 0.65", got)
	}
	if r.result("sql") != nil {
		t.Error("a phase that did not run has a result")
	}
	md := r.Markdown()
	if got := r.slowest("checkout"); got != 50 {
		t.Errorf("slowest checkout round %.1f/s, want 50.0 (round 1)", got)
	}
	for _, want := range []string{"| checkout (round 2) |", "0.58 (64.0 / 110.0)", "0.50, 0.65", "(worst round) | 900 ms",
		"(slowest round) | 50.0/s (all rounds 64.0/s)"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The caller's results are not changed by combining them.
	if r.Results[1].Completed != 500 || r.Results[1].Window != 10*time.Second {
		t.Errorf("combining rounds changed round 1's result: %+v", r.Results[1])
	}
}
