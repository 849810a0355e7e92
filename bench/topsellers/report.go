package main

import (
	"fmt"
	"strings"
	"time"

	"shopflow/bench/benchdoc"
)

// Targets of the top-sellers read path: the API keeps most of what a handler doing nothing but
// write the bytes manages, and answers within 10 ms at the 99th percentile.
const (
	targetRatio = 0.7
	targetP99   = 10.0 // ms
)

// report is one run: the wrk runs in the order they ran.
type report struct {
	Started                     time.Time
	Machine, LoadAfter, Command string
	Options                     options
	BodyBytes                   int
	Runs                        []wrkResult
}

// summary is requests/s averaged over a server's rounds and its worst p99.
func (r report) summary(name string) (perSecond, worstP99 float64) {
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

// markdown is the section written into docs/BENCHMARKS.md.
func (r report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Latest run %s; %s before, %s after (the machine is shared with other engineers' builds and tests, and wrk runs on the same cores as the servers: figures move from run to run).\n\n",
		r.Started.Format("2006-01-02 15:04 UTC"), r.Machine, r.LoadAfter)
	fmt.Fprintf(&b, "```sh\n%s\n```\n\n", r.Command)
	fmt.Fprintf(&b, "A root category of a shop of %d sales, %d products, %d sellers; a %d-byte answer. `wrk -c%d -t%d -d%s --latency`:\n\n",
		r.Options.Facts, r.Options.Products, r.Options.Sellers, r.BodyBytes, r.Options.Connections, r.Options.Threads, r.Options.Duration)
	b.WriteString("| round | server | requests/s | p99 | non-2xx |\n|---|---|---:|---:|---:|\n")
	for _, w := range r.Runs {
		fmt.Fprintf(&b, "| %d | %s | %.0f | %.2f ms | %d |\n", w.Round, w.Name, w.PerSecond, w.P99, w.Non2xx)
	}
	api, apiP99 := r.summary("api")
	static, staticP99 := r.summary("static")
	ratio := benchdoc.Ratio(api, static)
	fmt.Fprintf(&b, "\nMean over the rounds: API %.0f requests/s, static %.0f: ratio **%.3f** (target >= %.1f: %s); API p99 **%.2f ms**, worst round (target < %.0f ms: %s; the static handler's worst: %.2f ms).\n",
		api, static, ratio, targetRatio, benchdoc.Met(ratio >= targetRatio), apiP99, targetP99, benchdoc.Met(apiP99 < targetP99), staticP99)
	return b.String()
}
