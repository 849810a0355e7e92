package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync/atomic"
	"time"

	"shopflow/app"
	"shopflow/bench/benchdoc"
	"shopflow/bench/benchenv"
	"shopflow/bench/benchshop"
)

// run starts what the benchmark needs, runs the phases, reports, and stops everything it started.
func run(ctx context.Context, o options, out, stderr io.Writer) (err error) {
	rep := report{Started: time.Now().UTC(), Machine: benchenv.Machine(), Command: benchenv.CommandLine("checkout")}
	fmt.Fprintf(out, "checkout bench: %s\n", rep.Machine)
	r := &rig{out: out}
	defer func() { err = errors.Join(err, r.undo.Run()) }()
	if err := r.start(ctx, o, stderr); err != nil {
		return err
	}
	var seq atomic.Int64
	bare := func(ctx context.Context, n int64) error {
		return runBare(ctx, r.app.Temporal, r.bareQueue, fmt.Sprintf("bare-%s-%d", r.shop.RunID, n))
	}
	for round := 1; round <= o.Rounds; round++ {
		for _, name := range []string{"bare", "checkout"} {
			fn := bare
			if name == "checkout" {
				fn = r.shop.Checkout
			}
			fmt.Fprintf(out, "\n== %s, round %d of %d\n", name, round, o.Rounds)
			ph, err := runPhase(ctx, o, out, name, round, &seq, fn)
			if err != nil {
				return err
			}
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted or out of time (%w); nothing recorded", ctx.Err())
			}
			ph.Round = round
			fmt.Fprintf(out, "  %s: %.1f/s, p95 %s, %d errors %s\n", name, ph.PerSecond(), ms(ph.Latency.P95), ph.Errors, ph.FirstError)
			rep.Phases = append(rep.Phases, ph)
		}
	}
	rep.LoadAfter = benchenv.LoadAverage()
	md := rep.markdown()
	fmt.Fprint(out, "\n", md)
	if o.Doc == "" {
		return nil
	}
	if err := benchdoc.Write(o.Doc, "checkout", md); err != nil {
		return err
	}
	fmt.Fprintf(out, "checkout bench: wrote its section of %s\n", o.Doc)
	return nil
}

// runPhase runs one phase, under the CPU profiler in the last round when --profile asks for it.
func runPhase(ctx context.Context, o options, out io.Writer, name string, round int, seq *atomic.Int64, fn op) (phase, error) {
	if o.Profile == "" || round != o.Rounds {
		return o.load.run(ctx, out, name, seq, fn), nil
	}
	if err := os.MkdirAll(o.Profile, 0o755); err != nil {
		return phase{}, err
	}
	f, err := os.Create(filepath.Join(o.Profile, name+".pprof"))
	if err != nil {
		return phase{}, err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return phase{}, fmt.Errorf("profile %s: %w", name, err)
	}
	defer pprof.StopCPUProfile()
	return o.load.run(ctx, out, name, seq, fn), nil
}

// rig is what a run starts, all on 127.0.0.1: a Temporal dev server, a fresh database, Shopflow
// (API and worker, as package app builds them) in this process, and the baseline's worker.
type rig struct {
	out       io.Writer
	app       *app.App
	shop      *benchshop.Shop
	bareQueue string
	undo      benchenv.Undo
}

func (r *rig) start(ctx context.Context, o options, stderr io.Writer) error {
	tmp, err := os.MkdirTemp("", "shopflow-bench-checkout-")
	if err != nil {
		return err
	}
	r.undo.Push(func() error { return os.RemoveAll(tmp) })
	fmt.Fprintf(r.out, "checkout bench: starting the Temporal dev server (%s)\n", o.TemporalBin)
	tem, err := benchenv.StartTemporal(ctx, o.TemporalBin, tmp, time.Minute)
	if err != nil {
		return err
	}
	r.undo.Push(func() error {
		fmt.Fprintf(r.out, "checkout bench: stopping the Temporal dev server (pid %d)\n", tem.PID())
		tem.Stop()
		return nil
	})
	db, err := benchenv.CreateDatabase(ctx, o.DatabaseURL, "shopflow_bench_checkout_")
	if err != nil {
		return err
	}
	r.undo.Push(func() error { return db.Drop(context.WithoutCancel(ctx)) })
	cfg, _, err := benchenv.Config(tmp, db.URL, o.RedisURL, tem.Address,
		// Registering customers is set-up, not what is measured: cheap hashes, and a login limit
		// that lets every customer log in from 127.0.0.1.
		"SHOPFLOW_BCRYPT_COST=4", fmt.Sprintf("SHOPFLOW_LOGIN_LIMIT_PER_IP=%d", max(50, 2*o.Customers)),
		// Every order comes from 127.0.0.1 with the one sandbox card: the velocity rules score
		// them all. The screen runs as in production (default limits, counts cut short at the
		// limit) but no score reaches review, so every order is charged.
		"SHOPFLOW_FRAUD_REVIEW_SCORE=1000", "SHOPFLOW_FRAUD_REJECT_SCORE=1000")
	if err != nil {
		return err
	}
	r.undo.Push(func() error {
		return benchenv.DeleteRedisKeys(context.WithoutCancel(ctx), o.RedisURL, cfg.RedisPrefix)
	})
	if r.app, err = app.Open(ctx, cfg, app.Options{Logger: benchenv.Logger(stderr)}); err != nil {
		return err
	}
	r.undo.Push(func() error { r.app.Close(); return nil })
	if err := r.startShopflow(ctx, o); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "checkout bench: API at %s, %d products, %d customers, database %s, Temporal pid %d\n",
		r.shop.BaseURL, len(r.shop.Products), o.Customers, db.Name, tem.PID())
	return nil
}

// startShopflow seeds the products, runs the worker and the API as production does, starts the
// baseline's worker, and registers the customers.
func (r *rig) startShopflow(ctx context.Context, o options) error {
	products, err := benchshop.SeedProducts(ctx, r.app.Pool, o.Products)
	if err != nil {
		return err
	}
	if err := r.app.SetupTemporal(ctx); err != nil { // search attributes and Schedules, as shopflow dev does
		return err
	}
	worker := benchenv.Go(ctx, r.app.RunWorker)
	r.undo.Push(worker.Stop)
	r.bareQueue = r.app.Config.TaskQueue + "-bare"
	bare, err := startBareWorker(r.app.Temporal, r.bareQueue)
	if err != nil {
		return err
	}
	r.undo.Push(func() error { bare.Stop(); return nil })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	api := benchenv.Go(ctx, func(ctx context.Context) error { return r.app.ServeAPI(ctx, ln) })
	r.undo.Push(api.Stop)
	r.shop = &benchshop.Shop{BaseURL: "http://" + ln.Addr().String(), Temporal: r.app.Temporal, Products: products,
		RunID: benchenv.RandomHex(4), HTTP: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * o.Clients}}}
	if err := r.shop.RegisterCustomers(ctx, o.Customers); err != nil {
		return err
	}
	if stopped, err := worker.Failed(); stopped {
		return fmt.Errorf("the worker stopped before the load began: %w", err)
	}
	return nil
}
