package main

import (
	"fmt"
	"strings"
	"time"

	"shopflow/bench/benchdoc"
)

// targetRatio is the share of a raw COPY's lines/s that ingest keeps while counting every
// line exactly once and maintaining the rollups.
const targetRatio = 0.5

// report is one run.
type report struct {
	Started                     time.Time
	Machine, LoadAfter, Command string
	Lines, ChunkLines           int
	// Copies are the baseline's times, before and after Shopflow's; Shopflow is the ingest's.
	Copies   []time.Duration
	Shopflow time.Duration
}

// copyPerSecond is the baseline's lines/s, over its runs together.
func (r report) copyPerSecond() float64 {
	var total time.Duration
	for _, c := range r.Copies {
		total += c
	}
	return perSecond(r.Lines*len(r.Copies), total)
}

func perSecond(lines int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(lines) / d.Seconds()
}

// markdown is the section written into docs/BENCHMARKS.md.
func (r report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Latest run %s; %s before, %s after (the machine is shared with other engineers' builds and tests: figures move from run to run).\n\n",
		r.Started.Format("2006-01-02 15:04 UTC"), r.Machine, r.LoadAfter)
	fmt.Fprintf(&b, "```sh\n%s\n```\n\n", r.Command)
	b.WriteString("| run | lines | time | lines/s |\n|---|---:|---:|---:|\n")
	for i, c := range r.Copies {
		fmt.Fprintf(&b, "| raw `COPY ... FROM STDIN` into a plain table, run %d of %d | %d | %.2f s | %.0f |\n", i+1, len(r.Copies), r.Lines, c.Seconds(), perSecond(r.Lines, c))
	}
	shopflow := perSecond(r.Lines, r.Shopflow)
	fmt.Fprintf(&b, "| `shopflow ingest --no-wait` -> batch completed by the worker (chunks of %d lines) | %d | %.2f s | **%.0f** |\n\n",
		r.ChunkLines, r.Lines, r.Shopflow.Seconds(), shopflow)
	ratio := benchdoc.Ratio(shopflow, r.copyPerSecond())
	fmt.Fprintf(&b, "Every line accepted once, as many sales facts as lines (checked). Ratio shopflow / raw COPY (its runs together: %.0f lines/s): **%.3f** (target >= %.1f: %s).\n",
		r.copyPerSecond(), ratio, targetRatio, benchdoc.Met(ratio >= targetRatio))
	return b.String()
}
