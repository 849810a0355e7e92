package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"shopflow/bench/benchenv"
	"shopflow/config"
	"shopflow/ingest"
	"shopflow/worker"
	"shopflow/workflows"
)

// phase runs workers as cfg names their queues, starts the ingest of file (none when ""), and
// runs the checkouts until --checkouts are done or the ingest has completed; then it waits for
// the ingest and stops the workers.
func (r *rig) phase(ctx context.Context, name string, cfg config.Config, file string) (phase, error) {
	p := phase{Name: name}
	d := r.app.WorkerDeps()
	d.Config, d.Queues = cfg, []string{config.QueueCheckout, config.QueueBatch}
	workers := benchenv.Go(ctx, func(ctx context.Context) error { return worker.Run(ctx, d) })
	defer workers.Stop()
	if file == "" {
		ctx, cancel := context.WithTimeout(ctx, r.o.idleBound())
		defer cancel()
		r.checkouts(ctx, &p, nil, nil)
		return p, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	id, err := r.submit(ctx, cfg, file)
	if err != nil {
		return p, err
	}
	start := time.Now()
	done := make(chan struct{})
	var ingestErr error
	var linesRead atomic.Int64
	go func() {
		defer close(done)
		p.Ingest, ingestErr = r.awaitIngest(ctx, id, start, &linesRead)
	}()
	r.checkouts(ctx, &p, done, &linesRead)
	<-done
	if ingestErr != nil {
		return p, ingestErr
	}
	fmt.Fprintf(r.out, "  ingest of %d lines completed in %s\n", r.o.Lines, p.Ingest.Round(time.Millisecond))
	return p, nil
}

// checkouts runs the closed-loop clients until --checkouts are done, ingestDone closes (only
// checkouts started before count), or ctx ends, printing progress.
func (r *rig) checkouts(ctx context.Context, p *phase, ingestDone <-chan struct{}, linesRead *atomic.Int64) {
	var (
		mu      sync.Mutex
		started atomic.Int64 // this phase's checkouts
		wg      sync.WaitGroup
	)
	stopped := func() bool {
		select {
		case <-ingestDone:
			return true
		default:
			return ctx.Err() != nil
		}
	}
	for range r.o.Clients {
		wg.Go(func() {
			for !stopped() {
				if started.Add(1) > int64(r.o.Checkouts) {
					return
				}
				t0 := time.Now()
				octx, cancel := context.WithTimeout(ctx, r.o.OpTimeout)
				// Numbered across the run: the number is the checkout's Idempotency-Key.
				err := r.shop.Checkout(octx, r.seq.Add(1))
				cancel()
				mu.Lock()
				if err != nil {
					p.Errors++
					if p.FirstError == "" {
						p.FirstError = err.Error()
					}
				} else {
					p.Latencies = append(p.Latencies, time.Since(t0))
				}
				mu.Unlock()
			}
		})
	}
	tick := time.NewTicker(r.o.Progress)
	defer tick.Stop()
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	for {
		select {
		case <-finished:
			return
		case <-tick.C:
			mu.Lock()
			n, errs, p95 := len(p.Latencies), p.Errors, quantile(append([]time.Duration(nil), p.Latencies...), 0.95)
			mu.Unlock()
			line := fmt.Sprintf("  %d checkouts, %d errors, p95 so far %s", n, errs, ms(p95))
			if linesRead != nil {
				line += fmt.Sprintf("; ingest at %d of %d lines", linesRead.Load(), r.o.Lines)
			}
			fmt.Fprintf(r.out, "%s (load %s)\n", line, benchenv.LoadAverage())
		}
	}
}

// submit stores file as an ingest batch, as `shopflow ingest` does, and starts its ingest on
// the batch queue of cfg.
func (r *rig) submit(ctx context.Context, cfg config.Config, file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, _, err := ingest.Submit(ctx, r.app.Store, ingest.Files{Dir: cfg.IngestDir},
		ingest.Submission{Filename: filepath.Base(file), Format: ingest.FormatCSV, Body: f, SubmittedBy: "bench"})
	if err != nil {
		return "", fmt.Errorf("submit %s: %w", file, err)
	}
	starts := &workflows.Ingests{Client: r.app.Temporal, TaskQueue: cfg.BatchTaskQueue}
	return b.ID, starts.Start(ctx, b.ID)
}

// awaitIngest follows the batch until it completes and returns the time from start to its
// finished_at (set by the database, so polling adds nothing).
func (r *rig) awaitIngest(ctx context.Context, id string, start time.Time, linesRead *atomic.Int64) (time.Duration, error) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		var status, failure string
		var read int64
		var finished *time.Time
		err := r.app.Pool.QueryRow(ctx, `SELECT status, lines_read, coalesce(failure, ''), finished_at FROM ingest_batches WHERE id = $1`,
			id).Scan(&status, &read, &failure, &finished)
		if err != nil {
			return 0, fmt.Errorf("read ingest batch %s: %w", id, err)
		}
		linesRead.Store(read)
		switch {
		case status == "completed" && finished != nil:
			return finished.Sub(start), nil
		case status == "failed":
			return 0, fmt.Errorf("ingest batch %s failed after %d lines: %s", id, read, failure)
		}
		select {
		case <-ctx.Done():
			return 0, errors.Join(fmt.Errorf("ingest batch %s at %d lines when time ran out", id, read), ctx.Err())
		case <-tick.C:
		}
	}
}
