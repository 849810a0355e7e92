// Command ingest measures batch ingest as an operator runs it: `shopflow ingest FILE --no-wait`
// of an order file, ingested by Shopflow's worker (package app) through a Temporal dev server,
// against a raw COPY of the same file into a plain table, in the same run. It prints lines/s and
// the ratio, and writes its section of docs/BENCHMARKS.md. From the repository root:
// go run ./bench/ingest --help
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
	Lines, Products int
	Timeout         time.Duration
	Shopflow        string
}

func main() { benchenv.Main("ingest", parseFlags, options.bound, run) }

// bound is the most a run may take: building, set-up and both copies, then the ingest.
func (o options) bound() time.Duration { return 5*time.Minute + o.Timeout }

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./bench/ingest [flags]     (from the repository root)

Builds shopflow (unless --shopflow names a binary), starts a Temporal dev server (bin/temporal)
on spare 127.0.0.1 ports, creates and migrates a fresh database with --products products, and
generates an order file of --lines lines (ingesttest.GenerateFile). Then, in one run:
  copy      the file into a plain table (no key, no index) with one COPY FROM STDIN, as psql's
            \copy does: the baseline, run before and after Shopflow, averaged
  shopflow  'shopflow ingest FILE --no-wait', ingested by the worker (package app, in this
            process, production defaults) until the batch completes; timed from launching the
            command to the batch's finished_at, and checked: every line accepted once, as
            many sales facts as lines
Reports lines/s and the ratio shopflow / copy (target >= 0.5). Progress is printed as it runs;
the ingest is bounded by --timeout, the set-up by 5 minutes. At the end the worker and the dev
server (by its PID) are stopped, the database dropped and the run's Redis keys deleted.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.IntVar(&o.Lines, "lines", 1_000_000, "order lines in the file")
	fs.IntVar(&o.Products, "products", 1000, "products the orders buy")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "the longest the ingest may take")
	fs.StringVar(&o.Shopflow, "shopflow", "", "shopflow `binary` to submit with ('' = go build ./cmd/shopflow into a temporary directory)")
	o.Flags.Register(fs, true)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q (see --help)", fs.Args())
	case o.Lines < 1 || o.Products < 1 || o.Timeout <= 0:
		return o, errors.New("--lines, --products and --timeout must be positive")
	}
	return o, nil
}
