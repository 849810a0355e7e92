// Command checkout measures Shopflow's checkout: orders per second from POST /api/v1/checkout to
// an order placed by the saga, against a bare workflow of the saga's shape on the same Temporal
// server, the two phases interleaved in one run. It prints the ratio and writes its section of
// docs/BENCHMARKS.md. Run it from the repository root: go run ./bench/checkout --help
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
	load
	benchenv.Flags
	Rounds, Products, Customers int
	// Profile is a directory to write a CPU profile of each phase of the last round into.
	Profile string
}

func main() { benchenv.Main("checkout", parseFlags, options.bound, run) }

// bound is the most a run may take: set-up, then every phase with its warm-up and drain.
func (o options) bound() time.Duration {
	return 3*time.Minute + time.Duration(2*o.Rounds)*(o.Warmup+o.Duration+o.Drain)
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("checkout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./bench/checkout [flags]     (from the repository root)

Measures, in one run and interleaved round by round:
  bare      a workflow of the checkout saga's shape with nothing to do (4 no-op local
            activities, the saga's search attributes and upserts, eager start), started and
            awaited: what the Temporal server alone allows on this machine
  checkout  POST /api/v1/checkout (one line, pm_card_visa, a fresh Idempotency-Key), then the
            saga awaited until it returns placed: Shopflow as production builds it (package app)
and reports checkouts/s, the ratio checkout / bare, and checkout latency.

It starts a Temporal dev server (bin/temporal) on spare 127.0.0.1 ports, creates and migrates a
fresh database, runs the API and the worker in this process, registers customers through the
API, and at the end stops the server by its PID, drops the database and deletes its Redis keys.
Progress is printed as it runs; the whole run is bounded (set-up 3 minutes, then each phase's
warm-up + duration + drain). The section is written into --doc between its markers.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.DurationVar(&o.Duration, "duration", 20*time.Second, "measured `time` of each phase, after its warm-up")
	fs.DurationVar(&o.Warmup, "warmup", 5*time.Second, "warm-up `time` of each phase; ops ending in it are not counted")
	fs.DurationVar(&o.Drain, "drain", 30*time.Second, "after a phase, the longest wait for its ops in flight")
	fs.DurationVar(&o.OpTimeout, "op-timeout", 30*time.Second, "deadline of one op")
	fs.DurationVar(&o.Progress, "progress", 5*time.Second, "how often to print progress")
	fs.IntVar(&o.Clients, "concurrency", 32, "closed-loop clients per phase")
	fs.IntVar(&o.Rounds, "rounds", 2, "how many times to run bare then checkout; the machine's speed drifts, so both phases share every stretch of it")
	fs.IntVar(&o.Products, "products", 1000, "products to seed; each checkout buys one at random")
	fs.IntVar(&o.Customers, "customers", 32, "customers to register and spread the orders over")
	fs.StringVar(&o.Profile, "profile", "", "`directory` to write a CPU profile of this process (API, worker, driver) per phase into (last round; '' = none)")
	o.Flags.Register(fs, true)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q (see --help)", fs.Args())
	case o.Duration <= 0 || o.Warmup < 0 || o.Drain <= 0 || o.OpTimeout <= 0 || o.Progress <= 0:
		return o, errors.New("--duration, --drain, --op-timeout and --progress must be positive, --warmup not negative")
	case o.Clients < 1 || o.Rounds < 1 || o.Products < 1 || o.Customers < 1:
		return o, errors.New("--concurrency, --rounds, --products and --customers must be at least 1")
	}
	return o, nil
}
