// Command recommend measures Shopflow's "also bought" computation (package recommend, the
// real SQL and publication path) on a fresh database: in quality mode, the hit rate at 10 of
// the lists and of recommend.Personal beside a popularity baseline on a generated history with
// planted co-purchase structure; in build mode, the time of a first full build over --facts
// sales and of an incremental run after --batch new ones. From the repository root:
// go run ./bench/recommend --help
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"shopflow/bench/benchenv"
	"shopflow/recommend"
	"shopflow/store"
)

// options are the command-line flags.
type options struct {
	Mode                  string
	DatabaseURL, RedisURL string
	// quality
	Customers, Products, Seed int
	// build
	Facts, Batch, Catalog, Days int
}

func main() { benchenv.Main("recommend", parseFlags, options.bound, run) }

// bound is the most a run may take: loading (about 15 s a million sales here), the build,
// and slack.
func (o options) bound() time.Duration {
	return 5*time.Minute + time.Duration(o.Facts/10_000)*time.Second + time.Duration(o.Customers/100)*time.Second
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("recommend", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./bench/recommend [flags]     (from the repository root)

Creates and migrates a fresh database, runs Shopflow's "also bought" computation on it
(recommend.UpdateCounts and recommend.PublishLists, publishing to Redis under a prefix of
the run's own), prints progress as it goes and the figures at the end, then drops the
database and deletes the run's Redis keys.

--mode quality  generates --customers customers buying from --products products grouped
                in bundles of 5 (each customer favours a bundle; bestsellers sell to all),
                holds out each customer's last order, computes the lists from the rest,
                and reports hit rate at 10 of: the also-bought list of the customer's last
                training purchase, recommend.Personal over all their purchases, and the
                most popular products (the baseline), computed in the same run.
--mode build    loads --facts sales (orders of 1-5 lines over --days days, --catalog
                products) with INSERT ... SELECT generate_series, times the first full
                build (a set-based rebuild, each of its steps printed as it starts),
                then records --batch new sales and times the incremental run; counting
                and publishing are timed apart. Run it at two sizes of --facts with the
                same --batch: the incremental count should not grow with the history.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.Mode, "mode", "quality", "quality or build")
	fs.StringVar(&o.DatabaseURL, "database-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "Postgres `URL` allowed to CREATE DATABASE (TLS off, as in benchenv)")
	fs.StringVar(&o.RedisURL, "redis-url", "redis://127.0.0.1:6379/0", "Redis `URL`; the run's keys get a prefix of their own")
	fs.IntVar(&o.Customers, "customers", 10000, "quality: customers")
	fs.IntVar(&o.Products, "products", 1000, "quality: products")
	fs.IntVar(&o.Seed, "seed", 14, "quality: random seed of the generated history")
	fs.IntVar(&o.Facts, "facts", 1_000_000, "build: sales lines to load")
	fs.IntVar(&o.Batch, "batch", 10_000, "build: new sales lines before the incremental run")
	fs.IntVar(&o.Catalog, "catalog", 20_000, "build: products")
	fs.IntVar(&o.Days, "days", 90, "window in days (SHOPFLOW_RECS_WINDOW); build mode spreads sales over it")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q (see --help)", fs.Args())
	case o.Mode != "quality" && o.Mode != "build":
		return o, fmt.Errorf("--mode must be quality or build, got %q", o.Mode)
	case o.Customers < 10 || o.Products < 10 || o.Facts < 1 || o.Batch < 1 || o.Catalog < 10 || o.Days < 1:
		return o, errors.New("--customers, --products and --catalog must be at least 10; --facts, --batch and --days at least 1")
	}
	return o, nil
}

// env is a run's database, store and Redis.
type env struct {
	pool   *pgxpool.Pool
	st     *store.Store
	rdb    *redis.Client
	prefix string
}

func run(ctx context.Context, o options, out, _ io.Writer) (err error) {
	fmt.Fprintf(out, "recommend bench (%s): %s\n", o.Mode, benchenv.Machine())
	db, err := benchenv.CreateDatabase(ctx, o.DatabaseURL, "shopflow_bench_recommend_")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Drop(context.WithoutCancel(ctx))) }()
	pool, err := pgxpool.New(ctx, db.URL)
	if err != nil {
		return err
	}
	defer pool.Close()
	opt, err := redis.ParseURL(o.RedisURL)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	e := env{pool: pool, st: store.New(pool), rdb: rdb, prefix: "bench:recs:" + benchenv.RandomHex(4) + ":"}
	defer func() {
		err = errors.Join(err, benchenv.DeleteRedisKeys(context.WithoutCancel(ctx), o.RedisURL, e.prefix))
	}()
	if o.Mode == "build" {
		return runBuild(ctx, o, e, out)
	}
	return runQuality(ctx, o, e, out)
}

// compute runs the job's two steps as the workflow does, printing progress.
func (e env) compute(ctx context.Context, o options, asOf time.Time, all bool, out io.Writer) (recommend.CountResult, recommend.Publication, error) {
	began, step := time.Now(), ""
	c, err := recommend.UpdateCounts(ctx, e.st, asOf, o.Days, func(r recommend.CountResult) {
		if r.Step != step {
			// Each step of a rebuild on its own line, with the time it started at.
			step = r.Step
			fmt.Fprintf(out, "\n  %6.1fs rebuild: %s", time.Since(began).Seconds(), step)
			return
		}
		fmt.Fprintf(out, "\r  counting: %d lines, %d orders", r.Lines, r.Orders)
	})
	fmt.Fprintf(out, "\n  counted in %s (rebuild: %v)\n", time.Since(began).Round(time.Millisecond), c.Rebuilt)
	if err != nil {
		return c, recommend.Publication{}, err
	}
	began = time.Now()
	p, err := recommend.PublishLists(ctx, e.st, e.rdb, e.prefix,
		recommend.PublishOptions{WindowDays: o.Days, MinSupport: 3, N: 20, GeneratedAt: asOf, All: all},
		func(r recommend.Publication) {
			fmt.Fprintf(out, "\r  publishing: %d written, %d removed", r.Written, r.Removed)
		})
	fmt.Fprintf(out, "\n  published in %s\n", time.Since(began).Round(time.Millisecond))
	return c, p, err
}
