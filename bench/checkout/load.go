package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// loadConfig is how a phase offers load.
type loadConfig struct {
	Concurrency int           // closed loop: this many clients, each starts its next op when one ends
	Rate        float64       // open loop when > 0: ops started per second, whatever is in flight
	MaxInFlight int           // open loop: arrivals beyond this many in flight are shed (counted)
	Warmup      time.Duration // ops ending before this are not counted
	Duration    time.Duration // the measured window after the warm-up
	OpTimeout   time.Duration // one op's deadline
	Drain       time.Duration // how long to wait for ops in flight after the window
	Progress    time.Duration // how often to print progress
}

// op is one unit of work: one checkout, one workflow, one SQL order. client numbers the
// caller (0..Concurrency-1 in closed loop), seq is unique in the phase. It returns how long
// its first stage took (e.g. the HTTP 202), or 0.
type op func(ctx context.Context, client int, seq int64) (firstStage time.Duration, err error)

// phaseResult is what one phase measured.
type phaseResult struct {
	Name        string
	Round       int // 1-based; with --rounds N each phase runs N times, interleaved
	Description string
	Unit        string // what one op is: checkouts, workflows, orders
	Window      time.Duration
	Completed   int // successful ops that ended inside the window
	Errors      int // failed ops that ended inside the window
	WarmupOps   int
	Shed        int    // open loop: arrivals dropped at the in-flight cap
	LoadAtStart string // the 1-minute load average when the phase began
	Abandoned   int    // ops still running when the drain timed out
	ErrorKinds  map[string]int
	Latency     latencyStats // successful ops started inside the window
	FirstStage  latencyStats // their first stage (0 count when the op has none)
	Profile     *phaseProfile
}

// Throughput is successful ops per second over the window.
func (r *phaseResult) Throughput() float64 { return float64(r.Completed) / r.Window.Seconds() }

type latencyStats struct {
	N                        int
	Mean, P50, P95, P99, Max time.Duration
}

func newLatencyStats(d []time.Duration) latencyStats {
	if len(d) == 0 {
		return latencyStats{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	q := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return latencyStats{N: len(d), Mean: sum / time.Duration(len(d)), P50: q(0.50), P95: q(0.95), P99: q(0.99), Max: d[len(d)-1]}
}

// runPhase offers load with fn for warm-up plus duration, prints progress to out, and waits
// (bounded) for the ops still in flight so the next phase starts on a quiet system.
func runPhase(ctx context.Context, out io.Writer, name string, lc loadConfig, prof *profiler, fn op) *phaseResult {
	res := &phaseResult{Name: name, ErrorKinds: map[string]int{}, LoadAtStart: strings.Fields(loadAverage())[0]}
	opCtx, cancelOps := context.WithCancel(ctx)
	defer cancelOps()

	start := time.Now()
	measureFrom := start.Add(lc.Warmup)
	end := measureFrom.Add(lc.Duration)
	var (
		mu        sync.Mutex
		latencies []time.Duration
		firsts    []time.Duration
		seq       atomic.Int64
		inFlight  atomic.Int64
		doneTotal atomic.Int64
		errsTotal atomic.Int64
		wg        sync.WaitGroup
		profStart = make(chan struct{})
	)
	// one runs an op and records it; it reports whether the op failed.
	one := func(client int) (failed bool) {
		n := seq.Add(1)
		inFlight.Add(1)
		defer inFlight.Add(-1)
		t0 := time.Now()
		octx, cancel := context.WithTimeout(opCtx, lc.OpTimeout)
		first, err := fn(octx, client, n)
		cancel()
		t1 := time.Now()
		mu.Lock()
		defer mu.Unlock()
		inWindow := !t1.Before(measureFrom) && t1.Before(end)
		switch {
		case err != nil:
			failed = true
			errsTotal.Add(1)
			if inWindow {
				res.Errors++
				res.ErrorKinds[errorKind(err)]++
			} else if t1.Before(measureFrom) {
				res.ErrorKinds["(warm-up) "+errorKind(err)]++
			}
		case t1.Before(measureFrom):
			res.WarmupOps++
			doneTotal.Add(1)
		default:
			doneTotal.Add(1)
			if inWindow {
				res.Completed++
			}
			if !t0.Before(measureFrom) && t0.Before(end) {
				latencies = append(latencies, t1.Sub(t0))
				if first > 0 {
					firsts = append(firsts, first)
				}
			}
		}
		return failed
	}

	// The profiler starts when the window opens and stops when it closes.
	go func() {
		select {
		case <-time.After(time.Until(measureFrom)):
			prof.begin()
			close(profStart)
		case <-ctx.Done():
		}
	}()

	stopProgress := make(chan struct{})
	go func() {
		t := time.NewTicker(lc.Progress)
		defer t.Stop()
		var last int64
		lastAt := start
		for {
			select {
			case <-stopProgress:
				return
			case now := <-t.C:
				done := doneTotal.Load()
				stage := "warm-up"
				if now.After(measureFrom) {
					stage = "measuring"
				}
				if now.After(end) {
					stage = "draining"
				}
				fmt.Fprintf(out, "  %-13s %5.1fs %-9s done %6d  %7.1f/s  in flight %4d  errors %d\n",
					name, now.Sub(start).Seconds(), stage, done, float64(done-last)/now.Sub(lastAt).Seconds(), inFlight.Load(), errsTotal.Load())
				last, lastAt = done, now
			}
		}
	}()

	if lc.Rate > 0 {
		interval := time.Duration(float64(time.Second) / lc.Rate)
		next := start
		for next.Before(end) && ctx.Err() == nil {
			time.Sleep(time.Until(next))
			if inFlight.Load() >= int64(lc.MaxInFlight) {
				if !next.Before(measureFrom) {
					mu.Lock()
					res.Shed++
					mu.Unlock()
				}
			} else {
				wg.Go(func() { one(0) })
			}
			next = next.Add(interval)
		}
	} else {
		for c := range lc.Concurrency {
			wg.Go(func() {
				for time.Now().Before(end) && ctx.Err() == nil {
					if one(c) {
						// A failing op often fails fast: pause so that a broken phase
						// reports its errors instead of spinning on them.
						time.Sleep(50 * time.Millisecond)
					}
				}
			})
		}
		select {
		case <-time.After(time.Until(end)):
		case <-ctx.Done():
		}
	}
	select {
	case <-profStart:
		res.Profile = prof.end()
	default: // interrupted before the window opened
	}
	drained := make(chan struct{})
	go func() { wg.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(lc.Drain):
		res.Abandoned = int(inFlight.Load())
		cancelOps()
		<-drained
	}
	close(stopProgress)
	res.Window = lc.Duration
	mu.Lock()
	defer mu.Unlock()
	res.Latency = newLatencyStats(latencies)
	res.FirstStage = newLatencyStats(firsts)
	return res
}

// errorKind shortens an error to a line for the error table.
func errorKind(err error) string {
	s := err.Error()
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

// sortedKinds lists error kinds by count, most frequent first.
func sortedKinds(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || (m[keys[i]] == m[keys[j]] && keys[i] < keys[j]) })
	return keys
}
