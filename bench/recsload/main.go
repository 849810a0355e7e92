// Command recsload measures Shopflow's recommendation endpoints beside the top-sellers
// endpoint, in one run against one API process (package app, production configuration), with
// wrk: GET /api/v1/products/{id}/recommendations and GET /api/v1/users/me/recommendations
// against GET /api/v1/categories/{id}/top-sellers. It prints requests/s, p99 and each
// endpoint's ratio to top sellers (target >= 0.8). From the repository root:
// go run ./bench/recsload --help
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

func main() { benchenv.Main("recsload", parseFlags, options.bound, run) }

// bound is the most a run may take: seeding, then the warm-up and every wrk run with slack.
func (o options) bound() time.Duration {
	seeding := time.Minute + time.Duration(o.Facts/50_000)*time.Second
	return seeding + time.Duration(4*o.Rounds+1)*(o.Duration+15*time.Second)
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("recsload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./bench/recsload [flags]     (from the repository root)

Creates and migrates a fresh database, seeds a shop with --facts sales, publishes its top
sellers as the hourly job does and an "also bought" list of 20 products for every product
in recommend/document.go's layout (as the recommendations Schedule does); 1 product in 20 is
sold out, so answers are filtered. Serves the Shopflow API (package app, production defaults,
logs discarded) on a spare 127.0.0.1 port, registers a customer with a wishlist, and runs wrk
against, in turn (--rounds times, interleaved, after a short warm-up of each):
  topsellers   GET /api/v1/categories/{root}/top-sellers             (the baseline)
  product      GET /api/v1/products/{its best seller}/recommendations
  customer     GET /api/v1/users/me/recommendations                  (with the customer's token)
  me           GET /api/v1/users/me                                  (the same token)
Reports requests/s, p99, and product / topsellers and customer / topsellers; target: >= 0.8.
The customer endpoint authenticates every request (the account check, cached per process for
SHOPFLOW_AUTH_CACHE_TTL), which the public top-sellers endpoint does not; customer / me
compares it with another authenticated read. wrk runs on the same cores as the server. Progress is
printed as it runs; the run is bounded. At the end the database is dropped and the run's Redis
keys deleted. Needs wrk (apt-get install wrk).

Flags:
`)
		fs.PrintDefaults()
	}
	fs.IntVar(&o.Facts, "facts", 200_000, "sales lines to generate")
	fs.IntVar(&o.Products, "products", 5_000, "products")
	fs.IntVar(&o.Sellers, "sellers", 100, "sellers")
	fs.IntVar(&o.Rounds, "rounds", 2, "how many times to measure the four endpoints")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "each wrk run")
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
