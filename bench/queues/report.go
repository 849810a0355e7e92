package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"shopflow/bench/benchdoc"
)

// report is one run.
type report struct {
	Started                     time.Time
	Machine, LoadAfter, Command string
	Lines, Clients              int
	Phases                      []phase
}

// phase is what one phase measured: the latencies of its checkouts and, in an ingest phase,
// how long the ingest took.
type phase struct {
	Name      string // idle, shared, separate
	Latencies []time.Duration
	Errors    int
	// FirstError is kept so a failing phase says why.
	FirstError string
	Ingest     time.Duration // zero in an idle phase
}

// quantile is the q-quantile of d (sorted in place), or zero for none.
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

// mode is every phase of a name taken together: the idle phases before and after.
func (r report) mode(name string) phase {
	all := phase{Name: name}
	for _, p := range r.Phases {
		if p.Name == name {
			all.Latencies = append(all.Latencies, p.Latencies...)
			all.Errors += p.Errors
			all.Ingest += p.Ingest
		}
	}
	return all
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

// markdown is the section written into docs/BENCHMARKS.md.
func (r report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Latest run %s; %s before, %s after (the machine is shared with other engineers' builds and tests: figures move from run to run).\n\n",
		r.Started.Format("2006-01-02 15:04 UTC"), r.Machine, r.LoadAfter)
	fmt.Fprintf(&b, "```sh\n%s\n```\n\n", r.Command)
	fmt.Fprintf(&b, "Checkout latency, POST /api/v1/checkout to the order placed, %d closed-loop clients:\n\n", r.Clients)
	b.WriteString("| phase | checkouts | errors | p50 | p95 | p99 | ingest lines/s |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, name := range []string{"idle", "shared", "separate"} {
		p := r.mode(name)
		rate := "-"
		if p.Ingest > 0 {
			rate = fmt.Sprintf("%.0f", float64(r.Lines)/p.Ingest.Seconds())
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %s |\n", phaseTitle(name, r.Lines), len(p.Latencies), p.Errors,
			ms(quantile(p.Latencies, 0.50)), ms(quantile(p.Latencies, 0.95)), ms(quantile(p.Latencies, 0.99)), rate)
	}
	idle := float64(quantile(r.mode("idle").Latencies, 0.95))
	shared := benchdoc.Ratio(float64(quantile(r.mode("shared").Latencies, 0.95)), idle)
	separate := benchdoc.Ratio(float64(quantile(r.mode("separate").Latencies, 0.95)), idle)
	fmt.Fprintf(&b, "\nCheckout p95 during the ingest against idle: shared queue **%.2fx**, separate queues **%.2fx**.\n", shared, separate)
	return b.String()
}

func phaseTitle(name string, lines int) string {
	switch name {
	case "shared":
		return fmt.Sprintf("during a %d-line ingest, one shared task queue and worker", lines)
	case "separate":
		return fmt.Sprintf("during a %d-line ingest, separate checkout and batch queues and workers", lines)
	}
	return "idle (no ingest), before and after"
}
