package main

import (
	"fmt"
	"strings"
	"time"

	"shopflow/bench/benchdoc"
)

// Targets of the checkout (issue 1): sustained checkouts per second, and the share of the bare
// workflow's rate that Shopflow keeps.
const (
	targetPerSecond = 100
	targetRatio     = 0.6
)

// report is one run: its phases in the order they ran.
type report struct {
	Started                     time.Time
	Machine, LoadAfter, Command string
	Phases                      []phase
}

// total is a phase over all its rounds: ops and windows summed, the worst round's latency.
func (r report) total(name string) phase {
	t := phase{Name: name}
	for _, p := range r.Phases {
		if p.Name != name {
			continue
		}
		t.Completed += p.Completed
		t.Errors += p.Errors
		t.Window += p.Window
		t.Latency.N += p.Latency.N
		t.Latency.P50 = max(t.Latency.P50, p.Latency.P50)
		t.Latency.P95 = max(t.Latency.P95, p.Latency.P95)
		t.Latency.P99 = max(t.Latency.P99, p.Latency.P99)
		if t.FirstError == "" {
			t.FirstError = p.FirstError
		}
	}
	return t
}

// ratio is checkouts/s over bare workflows/s, on each phase's total over the rounds.
func (r report) ratio() float64 {
	return benchdoc.Ratio(r.total("checkout").PerSecond(), r.total("bare").PerSecond())
}

// rounds pairs each round's bare and checkout phases.
func (r report) rounds() [][2]phase {
	var out [][2]phase
	for _, p := range r.Phases {
		if p.Round > len(out) {
			out = append(out, [2]phase{})
		}
		if p.Name == "bare" {
			out[p.Round-1][0] = p
		} else {
			out[p.Round-1][1] = p
		}
	}
	return out
}

// markdown is the section written into docs/BENCHMARKS.md.
func (r report) markdown() string {
	var b strings.Builder
	bare, co := r.total("bare"), r.total("checkout")
	fmt.Fprintf(&b, "Latest run %s; %s before, %s after (the machine is shared with other engineers' builds and tests: figures move from run to run).\n\n",
		r.Started.Format("2006-01-02 15:04 UTC"), r.Machine, r.LoadAfter)
	fmt.Fprintf(&b, "```sh\n%s\n```\n\n", r.Command)
	b.WriteString("| round | bare workflows/s | checkouts/s | ratio | checkout p50 / p95 / p99 | errors |\n|---|---:|---:|---:|---|---:|\n")
	for i, rd := range r.rounds() {
		fmt.Fprintf(&b, "| %d | %.1f | %.1f | %.2f | %s / %s / %s | %d |\n", i+1, rd[0].PerSecond(), rd[1].PerSecond(),
			benchdoc.Ratio(rd[1].PerSecond(), rd[0].PerSecond()), ms(rd[1].Latency.P50), ms(rd[1].Latency.P95), ms(rd[1].Latency.P99),
			rd[0].Errors+rd[1].Errors)
	}
	fmt.Fprintf(&b, "| all (%s each) | %.1f | **%.1f** | **%.3f** | worst round: %s / %s / %s | %d |\n\n", co.Window, bare.PerSecond(),
		co.PerSecond(), r.ratio(), ms(co.Latency.P50), ms(co.Latency.P95), ms(co.Latency.P99), bare.Errors+co.Errors)
	fmt.Fprintf(&b, "Targets: >= %d checkouts/s: %s (%.1f); checkout / bare >= %.1f: %s (%.3f).\n", targetPerSecond,
		benchdoc.Met(co.PerSecond() >= targetPerSecond), co.PerSecond(), targetRatio, benchdoc.Met(r.ratio() >= targetRatio), r.ratio())
	for _, p := range []phase{bare, co} {
		if p.FirstError != "" {
			fmt.Fprintf(&b, "\nFirst %s error: `%.200s`\n", p.Name, p.FirstError)
		}
	}
	return b.String()
}

func ms(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}
