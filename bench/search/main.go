// Command search measures product search on a generated 100,000-product catalog with the
// Postgres backend, served by Shopflow's API (package app, production configuration), beside
// the plain product list for the same queries and the top-sellers endpoint, with wrk, the
// phases interleaved in one run. It prints requests/s, p50 and p99 per phase and the ratios,
// and writes its section of docs/BENCHMARKS.md. From the repository root:
// go run ./bench/search --help
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
	Products, Queries, Popular, Rounds int
	Seed                               int64
	Duration                           time.Duration
	Connections, Threads               int
	Wrk, Profile                       string
}

func main() { benchenv.Main("search", parseFlags, options.bound, run) }

// bound is the most a run may take: generating the catalog (about 30 s per 100,000 products
// on two cores, given four times that), then the checks, the warm-ups and every wrk run with
// some slack.
func (o options) bound() time.Duration {
	generating := 2*time.Minute + time.Duration(o.Products/100_000)*2*time.Minute
	runs := len(phaseNames) * (o.Rounds + 1)
	return generating + time.Duration(runs)*(o.Duration+20*time.Second)
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./bench/search [flags]     (from the repository root)

Creates and migrates a fresh database, generates a catalog of --products products
(searchtest.Generate), gives its products sales and publishes the top-sellers ranking to Redis
as the hourly job does, then serves the Shopflow API (package app, Postgres search backend,
JSON logs at info, discarded) twice on spare 127.0.0.1 ports:
  uncached  with the search cache off (SHOPFLOW_SEARCH_CACHE_TTL=0), so the engine is measured
  cached    as production runs it (the search cache on, default TTL)
and runs wrk against each phase in turn (--rounds times, interleaved), after a check and a
short warm-up of each:
  list         uncached  GET /api/v1/products?q=Q, cycling through --queries distinct queries
  search       uncached  GET /api/v1/search?q=Q (facets included), the same queries
  suggest      uncached  GET /api/v1/search/suggest?q=P, P what a shopper has typed when the
                         last word has 2 to 5 letters ("so", "sony", "sony te")
  search-hot   cached    GET /api/v1/search?q=Q, cycling through the --popular first queries
  top-sellers  cached    GET /api/v1/categories/ID/top-sellers, a root category (Electronics)
Reports requests/s, p50 and p99 (worst round) per phase; targets: search / list >= 0.5,
search p99 < 100 ms, suggest p99 < 10 ms, search-hot / top-sellers >= 0.8. wrk runs on the
same cores as the servers and Postgres. Progress is printed as it runs; the run is bounded
(generation, then each wrk run plus slack). At the end the database is dropped and the run's
Redis keys deleted. Needs wrk (apt-get install wrk).

Flags:
`)
		fs.PrintDefaults()
	}
	fs.IntVar(&o.Products, "products", 100_000, "products in the generated catalog")
	fs.Int64Var(&o.Seed, "seed", 1, "the catalog's and the queries' seed")
	fs.IntVar(&o.Queries, "queries", 5000, "distinct queries to cycle through (fewer if the catalog's words cannot make that many)")
	fs.IntVar(&o.Popular, "popular", 20, "popular queries the search-hot phase cycles through")
	fs.IntVar(&o.Rounds, "rounds", 2, "how many times to measure every phase")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "each wrk run")
	fs.IntVar(&o.Connections, "connections", 4, "wrk -c: 4 keeps two cores busy; more only queues (p99 grows, requests/s does not)")
	fs.IntVar(&o.Threads, "threads", 2, "wrk -t")
	fs.StringVar(&o.Wrk, "wrk", "wrk", "the wrk `program`")
	fs.StringVar(&o.Profile, "profile", "", "`directory` to write a CPU profile of the API process per phase into (last round; '' = none)")
	o.Flags.Register(fs, false)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q (see --help)", fs.Args())
	case o.Duration < time.Second:
		return o, errors.New("--duration must be at least 1s")
	case o.Products < 1 || o.Queries < 1 || o.Popular < 1 || o.Rounds < 1 || o.Connections < 1 || o.Threads < 1:
		return o, errors.New("--products, --queries, --popular, --rounds, --connections and --threads must be at least 1")
	case o.Threads > o.Connections:
		return o, errors.New("--threads must not exceed --connections (wrk gives each thread at least one connection)")
	}
	return o, nil
}
