package main

import (
	"fmt"
	"strings"
	"time"

	"shopflow/bench/benchdoc"
)

// report is one run: the wrk runs in the order they ran.
type report struct {
	Started                     time.Time
	Machine, LoadAfter, Command string
	Options                     options
	// BodyBytes is each endpoint's answer size, in the order measured.
	BodyBytes []int
	Runs      []wrkResult
}

// mean is an endpoint's requests/s averaged over its rounds, and its worst p99.
func (r report) mean(name string) (perSecond, worstP99 float64) {
	n := 0
	for _, w := range r.Runs {
		if w.Name == name {
			perSecond += w.PerSecond
			worstP99 = max(worstP99, w.P99)
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return perSecond / float64(n), worstP99
}

// markdown is the run's section for docs/BENCHMARKS.md.
func (r report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Latest run %s; %s before, %s after (wrk runs on the same cores as the server).\n\n",
		r.Started.Format("2006-01-02 15:04 UTC"), r.Machine, r.LoadAfter)
	fmt.Fprintf(&b, "```sh\n%s\n```\n\n", r.Command)
	fmt.Fprintf(&b, "A shop of %d sales, %d products (1 in 20 sold out), a 20-product list per product; answers of %v bytes. `wrk -c%d -t%d -d%s --latency`:\n\n",
		r.Options.Facts, r.Options.Products, r.BodyBytes, r.Options.Connections, r.Options.Threads, r.Options.Duration)
	b.WriteString("| round | endpoint | requests/s | p99 | non-2xx |\n|---|---|---:|---:|---:|\n")
	for _, w := range r.Runs {
		fmt.Fprintf(&b, "| %d | %s | %.0f | %.2f ms | %d |\n", w.Round, w.Name, w.PerSecond, w.P99, w.Non2xx)
	}
	top, _ := r.mean("topsellers")
	fmt.Fprintf(&b, "\nMean over the rounds: top sellers %.0f requests/s.\n", top)
	for _, name := range []string{"product", "customer"} {
		rate, p99 := r.mean(name)
		ratio := benchdoc.Ratio(rate, top)
		fmt.Fprintf(&b, "- %s recommendations: %.0f requests/s, ratio **%.3f** (target >= %.1f: %s), worst p99 %.2f ms\n",
			name, rate, ratio, target, benchdoc.Met(ratio >= target), p99)
	}
	me, _ := r.mean("me")
	customer, _ := r.mean("customer")
	fmt.Fprintf(&b, "- GET /users/me (the same authentication, no recommendations): %.0f requests/s; customer / me **%.3f**\n",
		me, benchdoc.Ratio(customer, me))
	return b.String()
}
