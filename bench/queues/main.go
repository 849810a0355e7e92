// Command queues measures what separate task queues buy the checkout: checkout p95 latency
// (POST /api/v1/checkout to the order placed) while a large ingest runs, with the checkout and
// batch work on one shared task queue against separate queues with a worker each, and with no
// ingest at all as the baseline, in one run. It prints the ratios and writes its section of
// docs/BENCHMARKS.md. From the repository root: go run ./bench/queues --help
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"shopflow/bench/benchenv"
)

// options are the command-line flags.
type options struct {
	benchenv.Flags
	Lines, Checkouts, Clients, Products, Customers int
	Timeout, OpTimeout, Progress                   time.Duration
}

func main() { benchenv.Main("queues", parseFlags, options.bound, run) }

// bound is the most a run may take: set-up and the files, two ingests, two idle phases.
func (o options) bound() time.Duration { return 5*time.Minute + 2*o.Timeout + 2*o.idleBound() }

// idleBound is the most an idle phase may take: its checkouts one after another, each at its
// deadline, spread over the clients.
func (o options) idleBound() time.Duration {
	return time.Duration(o.Checkouts/o.Clients+1) * o.OpTimeout
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("queues", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./bench/queues [flags]     (from the repository root)

Measures checkout latency (POST /api/v1/checkout, one line, pm_card_visa, then the saga awaited
until placed; --concurrency closed-loop clients) in four phases of one run:
  idle      no ingest: the baseline, run first and last, latencies taken together
  shared    while an ingest of --lines lines runs, with the checkout and batch roles on ONE task
            queue served by one worker (SHOPFLOW_BATCH_TASK_QUEUE = SHOPFLOW_TASK_QUEUE; the
            configuration refuses that, so the benchmark sets it in code)
  separate  while an ingest of another --lines lines runs, on separate task queues, one worker
            per queue with its own slots (production's default: shopflow worker --queues
            checkout,batch)
Each phase places up to --checkouts orders; an ingest phase stops its checkouts when the ingest
completes, and counts only checkouts started while it ran. Reports p50/p95/p99 per phase and the
p95 ratios shared/idle and separate/idle, and each ingest's lines/s.

It starts a Temporal dev server (bin/temporal) on spare 127.0.0.1 ports, creates and migrates a
fresh database, runs the API and the workers in this process (production defaults, no
Schedules, so only the ingest competes with the checkouts), and at the end stops the server by
its PID, drops the database and deletes its Redis keys. Progress is printed as it runs; the run
is bounded (set-up 5 minutes, each ingest --timeout, each idle phase by --op-timeout).

Flags:
`)
		fs.PrintDefaults()
	}
	fs.IntVar(&o.Lines, "lines", 1_000_000, "order lines in each ingest's file")
	fs.IntVar(&o.Checkouts, "checkouts", 400, "most checkouts per phase")
	fs.IntVar(&o.Clients, "concurrency", 4, "closed-loop checkout clients")
	fs.IntVar(&o.Products, "products", 1000, "products to seed; orders and files buy them")
	fs.IntVar(&o.Customers, "customers", 16, "customers to register and spread the orders over")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "the longest one ingest may take")
	fs.DurationVar(&o.OpTimeout, "op-timeout", 30*time.Second, "deadline of one checkout")
	fs.DurationVar(&o.Progress, "progress", 5*time.Second, "how often to print progress")
	o.Flags.Register(fs, true)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q (see --help)", fs.Args())
	case o.Lines < 1 || o.Checkouts < 1 || o.Clients < 1 || o.Products < 1 || o.Customers < 1:
		return o, errors.New("--lines, --checkouts, --concurrency, --products and --customers must be at least 1")
	case o.Timeout <= 0 || o.OpTimeout <= 0 || o.Progress <= 0:
		return o, errors.New("--timeout, --op-timeout and --progress must be positive")
	}
	return o, nil
}
