// Command checkout benchmarks Shopflow's checkout: how many orders per second go from
// POST /api/v1/checkout to a placed order through the Temporal saga, at what latency, against
// two ceilings measured in the same run on the same machine: the Temporal engine running a bare
// workflow with as many no-op activities as the saga's success path, and plain Postgres placing
// an order in one transaction.
//
// It starts everything it needs on 127.0.0.1 (a Temporal dev server, a fresh Postgres
// database, the worker and the API in this process), runs each phase for a fixed time, prints a
// Markdown report, records it in docs/BENCHMARKS.md, and cleans up. Run it from the repository
// root: go run ./bench/checkout --help
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	Duration, Warmup  time.Duration
	Concurrency       int
	Rate              float64
	MaxInFlight       int
	Phases            string
	Rounds            int
	DevServer         devServerTuning
	Products          int
	Customers         int
	CheckoutVia       string
	TemporalBin       string
	TemporalAddress   string
	TemporalNamespace string
	TemporalWait      time.Duration
	DatabaseURL       string
	RedisURL          string
	PoolMaxConns      int
	SQLPoolMaxConns   int
	EagerStart        bool
	SAUpserts         int
	Worker            workerKnobs
	Progress          time.Duration
	OpTimeout, Drain  time.Duration
	Doc, Label        string
	LogLevel          string
}

// allPhases are the phases in the order they run; the first four run by default. The engine
// ceiling runs first, on a fresh Temporal database, so the checkout is compared with the best
// the engine did rather than with an engine slowed by the checkout's history.
var allPhases = []string{"bare-local", "checkout", "bare-regular", "sql", "bare-local-sa"}

const defaultPhases = "bare-local,checkout,bare-regular,sql"

func main() {
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "checkout bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "checkout bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("checkout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./bench/checkout [flags]     (from the repository root)

Benchmarks the checkout saga end to end and against two ceilings, in one run:
  checkout      clients POST /api/v1/checkout (one line, pm_card_visa, a fresh Idempotency-Key)
                and wait, through the Temporal client, for the saga to return placed; latency
                is from the POST to the saga's completion
  bare-local    a bare workflow running 3 no-op LOCAL activities (the saga's success path:
                reserve, charge, confirm), started and awaited the same way: the engine ceiling
  bare-regular  the same with regular (task-queue) activities, for reference
  sql           an order placed in one plain Postgres transaction (order + item, conditional
                stock UPDATE, payment row, status update): the database ceiling
  bare-local-sa (optional) bare-local plus the saga's search attributes and its two upserts

It starts a Temporal dev server (bin/temporal) on spare 127.0.0.1 ports with a fresh SQLite
file, creates and migrates a fresh Postgres database, seeds products and registers customers
through the API, runs the worker and the API in this process as 'shopflow dev' wires them, and
at the end stops the server by its PID and drops the database. Everything talks to 127.0.0.1.
Progress is printed every few seconds; the report is printed as Markdown and written into
the --doc file under a section named by --label (replacing that section if it exists).

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(stderr, `
Examples:
  go run ./bench/checkout                                   # the documented run (about 3 minutes)
  go run ./bench/checkout --duration 10s --doc ''           # a quick look, no doc update
  go run ./bench/checkout --phases bare-local,checkout --rounds 4 --duration 15s --doc ''
                                                            # the ratio from 4 interleaved rounds
  go run ./bench/checkout --phases checkout --pool-max-conns 16 --label pool16
`)
	}
	fs.DurationVar(&o.Duration, "duration", 30*time.Second, "measured `time` of each phase, after its warm-up")
	fs.Func("sqlite-pragma", "extra SQLite `pragma` (key=value) for the dev server this run starts, beside journal_mode=wal and synchronous=1; repeatable", func(v string) error {
		k, _, ok := strings.Cut(v, "=")
		switch k = strings.ToLower(strings.TrimSpace(k)); {
		case !ok || k == "":
			return fmt.Errorf("want key=value, got %q", v)
		case k == "journal_mode" || k == "synchronous":
			return fmt.Errorf("%s is set already (journal_mode=wal, synchronous=1), as make dev sets it", k)
		}
		o.DevServer.Pragmas = append(o.DevServer.Pragmas, v)
		return nil
	})
	fs.Func("dynamic-config", "a dynamic config `key=value` (value in JSON) for the dev server this run starts; repeatable", func(v string) error {
		if k, _, ok := strings.Cut(v, "="); !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("want key=value, got %q", v)
		}
		o.DevServer.DynamicConfig = append(o.DevServer.DynamicConfig, v)
		return nil
	})
	fs.StringVar(&o.DevServer.GOGC, "temporal-gogc", "", "GOGC of the dev server this run starts: a percentage or off ('' = inherited from this environment)")
	fs.IntVar(&o.Rounds, "rounds", 1, "run the phase list this many times, interleaved (bare, checkout, bare, checkout...), so a machine whose speed drifts weighs on every phase alike; the ratio uses each phase's total over its rounds, checkouts/s the slowest round, p95 the worst round")
	fs.DurationVar(&o.Warmup, "warmup", 5*time.Second, "warm-up `time` of each phase; ops ending in it are not counted")
	fs.IntVar(&o.Concurrency, "concurrency", 32, "closed-loop clients per phase (each starts its next op when one ends)")
	fs.Float64Var(&o.Rate, "rate", 0, "open loop instead: start this many ops per second whatever is in flight (0 = closed loop)")
	fs.IntVar(&o.MaxInFlight, "max-inflight", 1000, "open loop: arrivals beyond this many ops in flight are shed and counted")
	fs.StringVar(&o.Phases, "phases", defaultPhases, "comma-separated `list` of phases to run, from "+strings.Join(allPhases, ","))
	fs.IntVar(&o.Products, "products", 1000, "products to seed; each checkout buys one chosen at random (1 = every order contends for one stock row)")
	fs.IntVar(&o.Customers, "customers", 0, "customers to register and spread orders over (0 = one per client)")
	fs.StringVar(&o.CheckoutVia, "checkout-via", "api", "how the checkout phase creates orders: api (POST /api/v1/checkout) or direct (store.CreateOrder + Checkouts.Start in process: the handler without HTTP, JSON and auth)")
	fs.StringVar(&o.TemporalBin, "temporal-bin", "bin/temporal", "Temporal CLI that runs the dev server (make temporal builds it)")
	fs.StringVar(&o.TemporalAddress, "temporal-address", "", "use this Temporal frontend (host:port) instead of starting a dev server; its Schedules are left alone")
	fs.StringVar(&o.TemporalNamespace, "temporal-namespace", "default", "Temporal namespace")
	fs.DurationVar(&o.TemporalWait, "temporal-wait", 90*time.Second, "how long to wait for the dev server to answer")
	fs.StringVar(&o.DatabaseURL, "database-url", "postgres://postgres@127.0.0.1:5432/postgres", "Postgres `URL` allowed to CREATE DATABASE; the run creates and drops a database of its own beside it")
	fs.StringVar(&o.RedisURL, "redis-url", "redis://127.0.0.1:6379/0", "Redis for the API (login rate limits); keys get a per-run prefix")
	fs.IntVar(&o.PoolMaxConns, "pool-max-conns", 0, "app's Postgres pool size, set as pool_max_conns in its database URL (0 = store.Open's default, as in production)")
	fs.IntVar(&o.SQLPoolMaxConns, "sql-pool-max-conns", 0, "pool size of the plain-SQL phase (0 = one connection per client)")
	fs.BoolVar(&o.EagerStart, "eager-start", false, "start sagas and bare workflows with EnableEagerStart (a candidate production change)")
	fs.IntVar(&o.SAUpserts, "sa-upserts", 2, "bare-local-sa phase: OrderStatus upserts per workflow (2 as the saga does, 1 only when placed, 0 none)")
	fs.IntVar(&o.Worker.WorkflowTaskPollers, "wft-pollers", 0, "worker MaxConcurrentWorkflowTaskPollers (0 = SDK default)")
	fs.BoolVar(&o.Worker.PollerAutoscaling, "poller-autoscaling", false, "worker Workflow/ActivityTaskPollerBehavior = NewPollerBehaviorAutoscaling with SDK defaults (instead of the pollers flags)")
	fs.IntVar(&o.Worker.ActivityTaskPollers, "activity-pollers", 0, "worker MaxConcurrentActivityTaskPollers (0 = SDK default)")
	fs.IntVar(&o.Worker.WorkflowTaskSlots, "wft-slots", 0, "worker MaxConcurrentWorkflowTaskExecutionSize (0 = SDK default)")
	fs.IntVar(&o.Worker.LocalActivitySlots, "la-slots", 0, "worker MaxConcurrentLocalActivityExecutionSize (0 = SDK default)")
	fs.DurationVar(&o.Progress, "progress", 5*time.Second, "how often to print progress")
	fs.DurationVar(&o.OpTimeout, "op-timeout", time.Minute, "deadline of one op (one checkout, one workflow, one SQL order)")
	fs.DurationVar(&o.Drain, "drain", time.Minute, "after a phase, how long to wait for its ops still in flight")
	fs.StringVar(&o.Doc, "doc", "docs/BENCHMARKS.md", "Markdown `file` to write the report into ('' = print only)")
	fs.StringVar(&o.Label, "label", "default", "name of this configuration's section in --doc")
	fs.StringVar(&o.LogLevel, "log-level", "warn", "Shopflow log records shown on stderr from this `level` up (they are produced at info either way, as in production)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q (see --help)", fs.Args())
	}
	switch {
	case o.Duration <= 0 || o.Warmup < 0:
		return o, errors.New("--duration must be positive and --warmup not negative")
	case o.Rounds < 1:
		return o, errors.New("--rounds must be at least 1")
	case o.DevServer.GOGC != "" && o.DevServer.GOGC != "off" && !isPercent(o.DevServer.GOGC):
		return o, fmt.Errorf("--temporal-gogc must be a percentage or off, not %q", o.DevServer.GOGC)
	case o.TemporalAddress != "" && (len(o.DevServer.Pragmas) > 0 || o.DevServer.GOGC != "" || len(o.DevServer.DynamicConfig) > 0):
		return o, errors.New("--sqlite-pragma, --dynamic-config and --temporal-gogc tune the dev server this run starts; with --temporal-address it starts none")
	case o.Concurrency < 1:
		return o, errors.New("--concurrency must be at least 1")
	case o.Rate < 0 || o.MaxInFlight < 1:
		return o, errors.New("--rate must not be negative and --max-inflight must be at least 1")
	case o.Worker.PollerAutoscaling && (o.Worker.WorkflowTaskPollers > 0 || o.Worker.ActivityTaskPollers > 0):
		return o, errors.New("--poller-autoscaling replaces --wft-pollers and --activity-pollers; give one or the other")
	case o.SAUpserts < 0 || o.SAUpserts > 2:
		return o, errors.New("--sa-upserts must be 0, 1 or 2")
	case o.Products < 1:
		return o, errors.New("--products must be at least 1")
	case o.CheckoutVia != "api" && o.CheckoutVia != "direct":
		return o, fmt.Errorf("--checkout-via must be api or direct, not %q", o.CheckoutVia)
	case o.Progress <= 0 || o.OpTimeout <= 0 || o.Drain <= 0:
		return o, errors.New("--progress, --op-timeout and --drain must be positive")
	case strings.TrimSpace(o.Label) == "" || strings.ContainsAny(o.Label, "\n<>"):
		return o, errors.New("--label must be a short name")
	}
	for _, p := range o.phases() {
		if !slices.Contains(allPhases, p) {
			return o, fmt.Errorf("unknown phase %q in --phases (have %s)", p, strings.Join(allPhases, ","))
		}
	}
	if len(o.phases()) == 0 {
		return o, errors.New("--phases names no phase")
	}
	if o.Customers == 0 {
		o.Customers = o.Concurrency
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(o.LogLevel)); err != nil {
		return o, fmt.Errorf("--log-level: %w", err)
	}
	return o, nil
}

// phases lists the phases to run, in the order of allPhases.
func (o options) phases() []string {
	var want []string
	for p := range strings.SplitSeq(o.Phases, ",") {
		if p = strings.TrimSpace(p); p != "" {
			want = append(want, p)
		}
	}
	var out []string
	for _, p := range allPhases {
		if slices.Contains(want, p) {
			out = append(out, p)
		}
	}
	for _, p := range want {
		if !slices.Contains(allPhases, p) {
			out = append(out, p) // reported as unknown by parseFlags
		}
	}
	return out
}

// loadConfig is the load every phase offers.
func (o options) loadConfig() loadConfig {
	return loadConfig{
		Concurrency: o.Concurrency, Rate: o.Rate, MaxInFlight: o.MaxInFlight,
		Warmup: o.Warmup, Duration: o.Duration, OpTimeout: o.OpTimeout, Drain: o.Drain, Progress: o.Progress,
	}
}

// machine describes where the run happened.
type machine struct {
	CPUs                  int
	CPUModel              string
	GoVersion             string
	TemporalVersion       string
	PostgresVersion       string
	LoadBefore, LoadAfter string
}

func describeMachine(temporalBin string) machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), TemporalVersion: temporalVersion(temporalBin), LoadBefore: loadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

func isPercent(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0
}
