// Command topsellers measures GET /api/v1/categories/{id}/top-sellers served by Shopflow's API
// (package app, production configuration) against a static handler serving the same bytes and
// headers, with wrk, the two interleaved in one run. It prints requests/s, the ratio and p99,
// and writes its section of docs/BENCHMARKS.md. From the repository root:
// go run ./bench/topsellers --help
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
	Facts, Products, Sellers, Rounds int
	Duration                         time.Duration
	Connections, Threads             int
	Wrk                              string
}

func main() { benchenv.Main("topsellers", parseFlags, options.bound, run) }

// bound is the most a run may take: seeding (about a minute per 5 million sales on two cores),
// then the warm-up and every wrk run with some slack.
func (o options) bound() time.Duration {
	seeding := 2*time.Minute + time.Duration(o.Facts/50_000)*time.Second
	return seeding + time.Duration(2*o.Rounds+1)*(o.Duration+15*time.Second)
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("topsellers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./bench/topsellers [flags]     (from the repository root)

Creates and migrates a fresh database, seeds a shop with --facts sales, ranks it and publishes
the ranking to Redis as the hourly job does, then serves on spare 127.0.0.1 ports:
  api     the Shopflow API (package app, production defaults, JSON logs at info, discarded)
  static  a bare Gin handler answering with the very bytes and headers the API gives
and runs wrk against each in turn (--rounds times, interleaved), after a short warm-up of
both. Reports requests/s, p99, the ratio api / static; targets: ratio >= 0.7, p99 < 10 ms.
wrk runs on the same cores as the servers. Progress is printed as it runs; the run is bounded
(seeding, then each wrk run plus slack). At the end the database is dropped and the run's
Redis keys deleted. Needs wrk (apt-get install wrk).

Flags:
`)
		fs.PrintDefaults()
	}
	fs.IntVar(&o.Facts, "facts", 1_000_000, "sales lines to generate")
	fs.IntVar(&o.Products, "products", 20_000, "products")
	fs.IntVar(&o.Sellers, "sellers", 500, "sellers")
	fs.IntVar(&o.Rounds, "rounds", 2, "how many times to measure api then static")
	fs.DurationVar(&o.Duration, "duration", 15*time.Second, "each wrk run")
	fs.IntVar(&o.Connections, "connections", 64, "wrk -c")
	fs.IntVar(&o.Threads, "threads", 2, "wrk -t")
	fs.StringVar(&o.Wrk, "wrk", "wrk", "the wrk `program`")
	o.Flags.Register(fs, false)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q (see --help)", fs.Args())
	case o.Duration < time.Second:
		return o, errors.New("--duration must be at least 1s")
	case o.Facts < 1 || o.Products < 1 || o.Sellers < 1 || o.Rounds < 1 || o.Connections < 1 || o.Threads < 1:
		return o, errors.New("--facts, --products, --sellers, --rounds, --connections and --threads must be at least 1")
	}
	return o, nil
}
