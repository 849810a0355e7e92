package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"shopflow/bench/benchdoc"
)

// Targets the checkout is held to.
const (
	targetRatio      = 0.6 // checkout throughput / bare local-activity workflow throughput
	targetThroughput = 100 // checkouts per second, sustained
	targetP95        = time.Second
)

// report is one run's figures, rendered as a Markdown section.
type report struct {
	Label        string
	Started      time.Time
	Machine      machine
	Command      string
	Options      options
	PoolMaxConns int32
	Results      []*phaseResult
	OrderCounts  map[string]int
}

// result is the named phase over all its rounds, for the verdicts: ops, errors and windows
// summed, N summed and P95, P99 and Max the worst round's (rounds keep no raw latencies to
// merge); the other fields are the first round's. Nil if the phase did not run.
func (r *report) result(name string) *phaseResult {
	var all *phaseResult
	for _, p := range r.Results {
		if p.Name != name {
			continue
		}
		if all == nil {
			c := *p
			all = &c
			continue
		}
		all.Window += p.Window
		all.Completed += p.Completed
		all.Errors += p.Errors
		all.Latency.N += p.Latency.N
		all.Latency.P95 = max(all.Latency.P95, p.Latency.P95)
		all.Latency.P99 = max(all.Latency.P99, p.Latency.P99)
		all.Latency.Max = max(all.Latency.Max, p.Latency.Max)
	}
	return all
}

// label names a phase's row: with several rounds, the round too.
func (r *report) label(p *phaseResult) string {
	if r.Options.Rounds > 1 {
		return fmt.Sprintf("%s (round %d)", p.Name, p.Round)
	}
	return p.Name
}

// slowest is the named phase's lowest throughput over its rounds: "sustained" means every round.
func (r *report) slowest(name string) float64 {
	lowest := -1.0
	for _, p := range r.Results {
		if p.Name == name && (lowest < 0 || p.Throughput() < lowest) {
			lowest = p.Throughput()
		}
	}
	return lowest
}

// roundRatios is checkout / bare-local per round ("-" for a round without both), for runs of
// several rounds.
func (r *report) roundRatios() []string {
	var out []string
	for round := 1; round <= r.Options.Rounds; round++ {
		var co, bare *phaseResult
		for _, p := range r.Results {
			if p.Round == round && p.Name == "checkout" {
				co = p
			}
			if p.Round == round && p.Name == "bare-local" {
				bare = p
			}
		}
		if co != nil && bare != nil && bare.Throughput() > 0 {
			out = append(out, fmt.Sprintf("%.2f", co.Throughput()/bare.Throughput()))
		} else {
			out = append(out, "-")
		}
	}
	return out
}

// Markdown renders the section, starting with its level-2 heading.
func (r *report) Markdown() string {
	var b strings.Builder
	o := r.Options
	m := r.Machine
	fmt.Fprintf(&b, "## Checkout benchmark: %s\n\n", r.Label)
	fmt.Fprintf(&b, "- Date: %s\n", r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- Machine: %d CPUs (%s), shared with other engineers; load average %s before the run, %s after it (its own load included)\n", m.CPUs, orUnknown(m.CPUModel), m.LoadBefore, m.LoadAfter)
	server := "dev server, " + o.DevServer.String()
	if o.TemporalAddress != "" {
		server = "server at --temporal-address"
	}
	fmt.Fprintf(&b, "- Software: %s, Temporal CLI %s (%s), PostgreSQL %s\n", m.GoVersion, m.TemporalVersion, server, m.PostgresVersion)
	fmt.Fprintf(&b, "- Command: `%s`\n", r.Command)
	load := fmt.Sprintf("closed loop, %d clients", o.Concurrency)
	if o.Rate > 0 {
		load = fmt.Sprintf("open loop, %.0f ops/s offered (at most %d in flight)", o.Rate, o.MaxInFlight)
	}
	pool := fmt.Sprintf("%d connections", r.PoolMaxConns)
	if o.PoolMaxConns == 0 {
		pool += " (store.Open's default, as in production)"
	}
	rounds := ""
	if o.Rounds > 1 {
		rounds = fmt.Sprintf(", %d rounds (the phase list run %d times, interleaved)", o.Rounds, o.Rounds)
	}
	fmt.Fprintf(&b, "- Settings: %s; %s warm-up + %s measured per phase%s; %d products, %d customers; checkout via %s; app pool %s; worker %s; eager start %v\n\n",
		load, o.Warmup, o.Duration, rounds, o.Products, o.Customers, o.CheckoutVia, pool, o.Worker, o.EagerStart)

	b.WriteString("| phase | what one op is | throughput | p50 | p95 | p99 | max | start/202 p50 | errors |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range r.Results {
		first := "-"
		if p.FirstStage.N > 0 {
			first = ms(p.FirstStage.P50)
		}
		errs := fmt.Sprint(p.Errors)
		if p.Shed > 0 || p.Abandoned > 0 {
			errs += fmt.Sprintf(" (+%d shed, %d abandoned)", p.Shed, p.Abandoned)
		}
		fmt.Fprintf(&b, "| %s | %s | **%.1f %s/s** | %s | %s | %s | %s | %s | %s |\n",
			r.label(p), p.Description, p.Throughput(), p.Unit, ms(p.Latency.P50), ms(p.Latency.P95), ms(p.Latency.P99), ms(p.Latency.Max), first, errs)
	}
	b.WriteString("\n")

	co, bare, sqlp := r.result("checkout"), r.result("bare-local"), r.result("sql")
	if co != nil {
		b.WriteString("| target | measured | met? |\n|---|---:|---|\n")
		if bare != nil && bare.Throughput() > 0 {
			ratio := co.Throughput() / bare.Throughput()
			fmt.Fprintf(&b, "| checkout / bare local-activity workflow >= %.1f | %.2f (%.1f / %.1f) | %s |\n",
				targetRatio, ratio, co.Throughput(), bare.Throughput(), yesNo(ratio >= targetRatio))
		}
		if o.Rounds > 1 {
			slow := r.slowest("checkout")
			fmt.Fprintf(&b, "| checkouts/s >= %d sustained (slowest round) | %.1f/s (all rounds %.1f/s) | %s |\n", targetThroughput, slow, co.Throughput(), yesNo(slow >= targetThroughput && co.Errors == 0))
		} else {
			fmt.Fprintf(&b, "| checkouts/s >= %d sustained | %.1f/s | %s |\n", targetThroughput, co.Throughput(), yesNo(co.Throughput() >= targetThroughput && co.Errors == 0))
		}
		fmt.Fprintf(&b, "| checkout p95 < %s%s | %s | %s |\n", targetP95, worstRound(o.Rounds), ms(co.Latency.P95), yesNo(co.Latency.N > 0 && co.Latency.P95 < targetP95))
		if rs := r.roundRatios(); len(rs) > 1 {
			fmt.Fprintf(&b, "| (per round) checkout / bare local-activity workflow | %s | - |\n", strings.Join(rs, ", "))
		}
		if sqlp != nil && sqlp.Throughput() > 0 {
			fmt.Fprintf(&b, "| (reference) checkout / plain SQL | %.2f (%.1f / %.1f) | - |\n", co.Throughput()/sqlp.Throughput(), co.Throughput(), sqlp.Throughput())
		}
		if rl := r.result("bare-regular"); rl != nil && bare != nil && rl.Throughput() > 0 {
			fmt.Fprintf(&b, "| (reference) bare local / bare regular activities | %.2f (%.1f / %.1f) | - |\n", bare.Throughput()/rl.Throughput(), bare.Throughput(), rl.Throughput())
		}
		b.WriteString("\n")
	}

	fmt.Fprintf(&b, "Where the time went, per phase window (CPU in cores of the machine's %d; Postgres = the backends serving the run database, without WAL writer and checkpointer; other processes = everything else on the machine, other users' builds and tests included: what this run could not use):\n\n", m.CPUs)
	b.WriteString("| phase | load avg at start | bench process (API + worker + load) | Temporal server | Postgres | other processes | CPU ms per op: bench / Temporal / Postgres | app pool: waited / mean wait | run DB backends: active / on row locks / LWLock+IO |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range r.Results {
		pr := p.Profile
		if pr == nil {
			continue
		}
		temporal := fmt.Sprintf("%.2f", pr.CPUTemporal)
		if !pr.TemporalIncluded {
			temporal = "n/a"
		}
		poolCol := "-"
		if pr.PoolAcquires > 0 && p.Name != "sql" {
			poolCol = fmt.Sprintf("%.0f%% / %s", 100*pr.PoolWaitedShare, ms(pr.PoolMeanWait))
		}
		perOp := "-"
		if p.Completed > 0 {
			per := func(cores float64) float64 { return cores * pr.WindowSeconds * 1000 / float64(p.Completed) }
			perOp = fmt.Sprintf("%.1f / %.1f / %.1f", per(pr.CPUBench), per(pr.CPUTemporal), per(pr.CPUPostgres))
		}
		others := max(0, pr.CPUMachine-pr.CPUBench-pr.CPUTemporal-pr.CPUPostgres)
		fmt.Fprintf(&b, "| %s | %s | %.2f | %s | %.2f | %.2f | %s | %s | %.1f / %.1f / %.1f |\n",
			r.label(p), p.LoadAtStart, pr.CPUBench, temporal, pr.CPUPostgres, others, perOp, poolCol, pr.PG.Active, pr.PG.LockWait, pr.PG.LWLockIO)
	}
	b.WriteString("\n")

	b.WriteString("Means of the worker's SDK latency histograms and the API's checkout route, per phase window:\n\n")
	b.WriteString("| phase | series | count | mean |\n|---|---|---:|---:|\n")
	for _, p := range r.Results {
		if p.Profile == nil {
			continue
		}
		for _, h := range p.Profile.Histograms {
			fmt.Fprintf(&b, "| %s | `%s` | %d | %s |\n", r.label(p), h.Name, h.Count, ms(h.Mean))
		}
	}
	b.WriteString("\n")
	for _, p := range r.Results {
		if p.Profile == nil {
			continue
		}
		if waits := topWaits(p.Profile.PG.TopWaits, 4); waits != "" {
			fmt.Fprintf(&b, "- %s: run database wait events (mean backends waiting): %s\n", r.label(p), waits)
		}
	}
	b.WriteString("\n")

	var errLines []string
	for _, p := range r.Results {
		for _, k := range sortedKinds(p.ErrorKinds) {
			errLines = append(errLines, fmt.Sprintf("- %s: %d x %s", r.label(p), p.ErrorKinds[k], k))
		}
	}
	if len(errLines) > 0 {
		b.WriteString("Errors:\n\n" + strings.Join(errLines, "\n") + "\n\n")
	}
	if len(r.OrderCounts) > 0 {
		var parts []string
		for _, s := range sortedKeys(r.OrderCounts) {
			parts = append(parts, fmt.Sprintf("%s %d", s, r.OrderCounts[s]))
		}
		fmt.Fprintf(&b, "Orders in the run's database at the end (checkout and plain SQL together): %s.\n", strings.Join(parts, ", "))
	}
	return b.String()
}

// updateDoc writes section into path between this label's markers, replacing what was there,
// or appends it; the file is created when missing.
func updateDoc(path, label, section string) error {
	begin := fmt.Sprintf("<!-- bench/checkout %s: begin (generated by go run ./bench/checkout; edits here are overwritten) -->", label)
	end := fmt.Sprintf("<!-- bench/checkout %s: end -->", label)
	return benchdoc.Replace(path, begin, end, section)
}

func topWaits(m map[string]float64, n int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	var parts []string
	for _, k := range keys[:min(n, len(keys))] {
		parts = append(parts, fmt.Sprintf("%s %.2f", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ms formats a latency in milliseconds, with a decimal below 10 ms.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	if v < 10 {
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func orUnknown(s string) string {
	if s == "" {
		return "model unknown"
	}
	return s
}

func worstRound(rounds int) string {
	if rounds > 1 {
		return " (worst round)"
	}
	return ""
}
