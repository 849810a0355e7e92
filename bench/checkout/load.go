package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// load is how a phase offers work: Clients closed-loop clients, each starting its next op when
// one ends, for Warmup and then the measured Duration.
type load struct {
	Clients          int
	Warmup, Duration time.Duration
	// OpTimeout bounds one op; Drain bounds the wait for ops in flight after the window.
	OpTimeout, Drain time.Duration
	Progress         time.Duration
}

// op is one unit of work: one checkout, one bare workflow. seq is unique within the run.
type op func(ctx context.Context, seq int64) error

// phase is what one phase measured.
type phase struct {
	Name  string
	Round int
	// Completed counts successful ops that ended inside the window; Errors failed ones.
	Completed, Errors int
	Window            time.Duration
	// Latency is of successful ops that started inside the window.
	Latency latency
	// FirstError is kept so a failing phase says why.
	FirstError string
}

// PerSecond is successful ops per second over the window.
func (p phase) PerSecond() float64 {
	if p.Window <= 0 {
		return 0
	}
	return float64(p.Completed) / p.Window.Seconds()
}

// latency summarises durations.
type latency struct {
	N             int
	P50, P95, P99 time.Duration
}

func newLatency(d []time.Duration) latency {
	if len(d) == 0 {
		return latency{}
	}
	slices.Sort(d)
	q := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return latency{N: len(d), P50: q(0.50), P95: q(0.95), P99: q(0.99)}
}

// run offers the load with fn, prints progress to out, and waits (at most Drain) for the ops
// still in flight, so the next phase starts on a quiet system.
func (l load) run(ctx context.Context, out io.Writer, name string, seq *atomic.Int64, fn op) phase {
	res := phase{Name: name, Window: l.Duration}
	start := time.Now()
	from, end := start.Add(l.Warmup), start.Add(l.Warmup+l.Duration)
	opCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		done      atomic.Int64
		wg        sync.WaitGroup
	)
	record := func(t0, t1 time.Time, err error) {
		mu.Lock()
		defer mu.Unlock()
		inWindow := !t1.Before(from) && t1.Before(end)
		switch {
		case err != nil && inWindow:
			res.Errors++
			if res.FirstError == "" {
				res.FirstError = err.Error()
			}
		case err == nil && inWindow:
			res.Completed++
		}
		if err == nil && !t0.Before(from) && t0.Before(end) {
			latencies = append(latencies, t1.Sub(t0))
		}
	}
	for range l.Clients {
		wg.Go(func() {
			for time.Now().Before(end) && opCtx.Err() == nil {
				t0 := time.Now()
				octx, stop := context.WithTimeout(opCtx, l.OpTimeout)
				err := fn(octx, seq.Add(1))
				stop()
				record(t0, time.Now(), err)
				done.Add(1)
				if err != nil {
					// A broken phase fails fast: back off so it reports errors instead of spinning.
					select {
					case <-opCtx.Done():
					case <-time.After(50 * time.Millisecond):
					}
				}
			}
		})
	}
	stopProgress := l.printProgress(out, name, start, &done)
	drained := make(chan struct{})
	go func() { wg.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-ctx.Done():
	case <-time.After(time.Until(end) + l.Drain):
		fmt.Fprintf(out, "  %s: ops still in flight after the drain time; cancelled\n", name)
	}
	cancel()
	<-drained
	stopProgress()
	mu.Lock()
	defer mu.Unlock()
	res.Latency = newLatency(latencies)
	return res
}

// printProgress prints ops done and their rate every Progress until the returned stop is called.
func (l load) printProgress(out io.Writer, name string, start time.Time, done *atomic.Int64) (stop func()) {
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(l.Progress)
		defer t.Stop()
		last, lastAt := int64(0), start
		for {
			select {
			case <-quit:
				return
			case now := <-t.C:
				n := done.Load()
				fmt.Fprintf(out, "  %-9s %5.1fs  %6d ops  %7.1f/s\n", name, now.Sub(start).Seconds(), n,
					float64(n-last)/now.Sub(lastAt).Seconds())
				last, lastAt = n, now
			}
		}
	}()
	return func() { close(quit); <-finished }
}
