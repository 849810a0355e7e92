package main

import (
	"fmt"
	"strings"
	"time"

	"shopflow/bench/benchdoc"
)

// Targets of search and discovery: search with facets keeps half the plain list's throughput
// on the same queries and answers within 100 ms, suggestions within 10 ms, and a search the
// cache answers costs about what the cached top-sellers endpoint does.
const (
	targetSearchRatio = 0.5
	targetSearchP99   = 100.0 // ms
	targetSuggestP99  = 10.0  // ms
	targetCachedRatio = 0.8
)

// report is one run: what was asked for and the wrk runs in the order they ran.
type report struct {
	Started                     time.Time
	Machine, LoadAfter, Command string
	Options                     options
	Workload                    workload
	CacheTTL                    time.Duration
	Answers                     map[string]answerSample
	Runs                        []wrkResult
}

// phaseSummary is one phase over its rounds.
type phaseSummary struct {
	// PerSecond is averaged over the rounds; P50 and P99 are the worst round's.
	PerSecond, P50, P99 float64
	// Failed counts non-2xx answers and socket errors in every round.
	Failed int
}

// summary sums up the phase's rounds.
func (r report) summary(name string) phaseSummary {
	var s phaseSummary
	n := 0
	for _, w := range r.Runs {
		if w.Name != name {
			continue
		}
		s.PerSecond += w.PerSecond
		s.P50, s.P99 = max(s.P50, w.P50), max(s.P99, w.P99)
		s.Failed += w.Non2xx + w.SocketErrors
		n++
	}
	if n > 0 {
		s.PerSecond /= float64(n)
	}
	return s
}

// verdict is one target, the figure it is judged on, and whether it was met.
type verdict struct {
	What   string
	Figure string
	Target string
	Met    bool
}

// verdicts are the four targets in the order the issue states them.
func (r report) verdicts() []verdict {
	list, srch, suggest := r.summary(phaseList), r.summary(phaseSearch), r.summary(phaseSuggest)
	hot, top := r.summary(phaseSearchHot), r.summary(phaseTopSellers)
	searchRatio := benchdoc.Ratio(srch.PerSecond, list.PerSecond)
	cachedRatio := benchdoc.Ratio(hot.PerSecond, top.PerSecond)
	return []verdict{
		{"search / list, requests/s", fmt.Sprintf("%.3f", searchRatio), fmt.Sprintf(">= %.1f", targetSearchRatio), searchRatio >= targetSearchRatio},
		{"search p99, worst round", fmt.Sprintf("%.2f ms", srch.P99), fmt.Sprintf("< %.0f ms", targetSearchP99), srch.P99 < targetSearchP99},
		{"suggest p99, worst round", fmt.Sprintf("%.2f ms", suggest.P99), fmt.Sprintf("< %.0f ms", targetSuggestP99), suggest.P99 < targetSuggestP99},
		{"search-hot / top-sellers, requests/s", fmt.Sprintf("%.3f", cachedRatio), fmt.Sprintf(">= %.1f", targetCachedRatio), cachedRatio >= targetCachedRatio},
	}
}

// markdown is the section written into docs/BENCHMARKS.md.
func (r report) markdown() string {
	var b strings.Builder
	o := r.Options
	fmt.Fprintf(&b, "Latest run %s; %s before, %s after (the run's own wrk, API and up to %d busy Postgres backends count in the load after; the machine is shared with other engineers' builds and tests, and wrk and Postgres run on the same cores as the API: figures move from run to run).\n\n",
		r.Started.Format("2006-01-02 15:04 UTC"), r.Machine, r.LoadAfter, o.Connections)
	fmt.Fprintf(&b, "```sh\n%s\n```\n\n", r.Command)
	fmt.Fprintf(&b, "A generated catalog of %d products (searchtest, seed %d), Postgres backend. The search cache is off on the server of list, search and suggest, on (TTL %s) on the server of search-hot and top-sellers. `wrk -c%d -t%d -d%s --latency --timeout %s`, each thread cycling through the phase's paths:\n\n",
		o.Products, o.Seed, r.CacheTTL, o.Connections, o.Threads, o.Duration, wrkTimeout)
	b.WriteString("| round | phase | requests/s | p50 | p99 | non-2xx | socket errors |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, w := range r.Runs {
		fmt.Fprintf(&b, "| %d | %s | %.0f | %.2f ms | %.2f ms | %d | %d |\n", w.Round, w.Name, w.PerSecond, w.P50, w.P99, w.Non2xx, w.SocketErrors)
	}
	b.WriteString("\n| phase | asks for | requests/s, mean | p50, worst round | p99, worst round | answer size | checked answers listing nothing |\n|---|---|---:|---:|---:|---:|---:|\n")
	failed := 0
	for _, name := range phaseNames {
		s, a := r.summary(name), r.Answers[name]
		failed += s.Failed
		fmt.Fprintf(&b, "| %s | %s | %.0f | %.2f ms | %.2f ms | %d B | %d of %d |\n",
			name, r.Workload.describe(name), s.PerSecond, s.P50, s.P99, a.MeanBytes, a.Empty, a.Checked)
	}
	b.WriteString("\nTargets:")
	for i, v := range r.verdicts() {
		sep := ";"
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(&b, "%s %s **%s** (%s: %s)", sep, v.What, v.Figure, v.Target, benchdoc.Met(v.Met))
	}
	b.WriteString(".\n")
	if failed > 0 {
		fmt.Fprintf(&b, "\n**%d requests failed** (non-2xx answers or socket errors): wrk's figures leave them out.\n", failed)
	}
	return b.String()
}
