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
	"sync/atomic"

	"shopflow/app"
	"shopflow/bench/benchdoc"
	"shopflow/bench/benchenv"
	"shopflow/bench/benchshop"
	"shopflow/config"
	"shopflow/ingest/ingesttest"
	"shopflow/worker"

	"time"
)

// run sets everything up, runs the phases, reports, and stops everything it started.
func run(ctx context.Context, o options, out, stderr io.Writer) (err error) {
	rep := report{Started: time.Now().UTC(), Machine: benchenv.Machine(), Command: benchenv.CommandLine("queues"),
		Lines: o.Lines, Clients: o.Clients}
	fmt.Fprintf(out, "queues bench: %s\n", rep.Machine)
	r := &rig{out: out, o: o}
	defer func() { err = errors.Join(err, r.undo.Run()) }()
	if err := r.start(ctx, stderr); err != nil {
		return err
	}
	files, err := r.generate(ctx)
	if err != nil {
		return err
	}
	// Separate queues are production's default; shared puts the batch role on the checkout
	// queue's name, which config.Validate refuses, so it is set here in code. worker.New then
	// builds one worker registering both roles.
	separate, shared := r.app.Config, r.app.Config
	shared.BatchTaskQueue = shared.TaskQueue
	for _, ph := range []struct {
		name, file string
		cfg        config.Config
	}{{"idle", "", separate}, {"shared", files[0], shared}, {"separate", files[1], separate}, {"idle", "", separate}} {
		fmt.Fprintf(out, "\n== %s (checkout queue %s, batch queue %s)\n", ph.name, ph.cfg.TaskQueue, ph.cfg.BatchTaskQueue)
		p, err := r.phase(ctx, ph.name, ph.cfg, ph.file)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %s: %d checkouts, p95 %s, %d errors %s\n", ph.name, len(p.Latencies), ms(quantile(p.Latencies, 0.95)), p.Errors, p.FirstError)
		rep.Phases = append(rep.Phases, p)
	}
	rep.LoadAfter = benchenv.LoadAverage()
	md := rep.markdown()
	fmt.Fprint(out, "\n", md)
	if o.Doc == "" {
		return nil
	}
	if err := benchdoc.Write(o.Doc, "queues", md); err != nil {
		return err
	}
	fmt.Fprintf(out, "queues bench: wrote its section of %s\n", o.Doc)
	return nil
}

// rig is what a run starts, all on 127.0.0.1: a Temporal dev server, a fresh database, and
// Shopflow's API (package app) in this process; each phase runs its own workers.
type rig struct {
	out  io.Writer
	o    options
	tmp  string
	app  *app.App
	shop *benchshop.Shop
	seq  atomic.Int64 // checkouts of the run
	undo benchenv.Undo
}

func (r *rig) start(ctx context.Context, stderr io.Writer) (err error) {
	if r.tmp, err = os.MkdirTemp("", "shopflow-bench-queues-"); err != nil {
		return err
	}
	r.undo.Push(func() error { return os.RemoveAll(r.tmp) })
	fmt.Fprintf(r.out, "queues bench: starting the Temporal dev server (%s)\n", r.o.TemporalBin)
	tem, err := benchenv.StartTemporal(ctx, r.o.TemporalBin, r.tmp, time.Minute)
	if err != nil {
		return err
	}
	r.undo.Push(func() error {
		fmt.Fprintf(r.out, "queues bench: stopping the Temporal dev server (pid %d)\n", tem.PID())
		tem.Stop()
		return nil
	})
	db, err := benchenv.CreateDatabase(ctx, r.o.DatabaseURL, "shopflow_bench_queues_")
	if err != nil {
		return err
	}
	r.undo.Push(func() error { return db.Drop(context.WithoutCancel(ctx)) })
	// As bench/checkout: cheap password hashes for the set-up, and a fraud screen that never
	// sends the one address's orders to review.
	cfg, _, err := benchenv.Config(r.tmp, db.URL, r.o.RedisURL, tem.Address, "SHOPFLOW_BCRYPT_COST=4",
		fmt.Sprintf("SHOPFLOW_LOGIN_LIMIT_PER_IP=%d", max(50, 2*r.o.Customers)),
		"SHOPFLOW_FRAUD_REVIEW_SCORE=1000", "SHOPFLOW_FRAUD_REJECT_SCORE=1000")
	if err != nil {
		return err
	}
	r.undo.Push(func() error {
		return benchenv.DeleteRedisKeys(context.WithoutCancel(ctx), r.o.RedisURL, cfg.RedisPrefix)
	})
	if r.app, err = app.Open(ctx, cfg, app.Options{Logger: benchenv.Logger(stderr)}); err != nil {
		return err
	}
	r.undo.Push(func() error { r.app.Close(); return nil })
	// The saga's search attributes, but no Schedules: nothing but the ingest competes.
	if err := worker.EnsureSearchAttributes(ctx, r.app.Temporal, cfg.TemporalNamespace); err != nil {
		return err
	}
	return r.startAPI(ctx)
}

// startAPI seeds the products, serves the API and registers the customers.
func (r *rig) startAPI(ctx context.Context) error {
	products, err := benchshop.SeedProducts(ctx, r.app.Pool, r.o.Products)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	api := benchenv.Go(ctx, func(ctx context.Context) error { return r.app.ServeAPI(ctx, ln) })
	r.undo.Push(api.Stop)
	r.shop = &benchshop.Shop{BaseURL: "http://" + ln.Addr().String(), Temporal: r.app.Temporal, Products: products,
		RunID: benchenv.RandomHex(4), HTTP: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * r.o.Clients}}}
	if err := r.shop.RegisterCustomers(ctx, r.o.Customers); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "queues bench: API at %s, %d products, %d customers\n", r.shop.BaseURL, len(products), r.o.Customers)
	return nil
}

// generate writes the two ingest phases' files, of different orders so neither is a duplicate.
func (r *rig) generate(ctx context.Context) ([]string, error) {
	var names []string
	for seed := int64(1); seed <= 2; seed++ {
		name := filepath.Join(r.tmp, fmt.Sprintf("orders-%d-%d.csv", r.o.Lines, seed))
		f, err := os.Create(name)
		if err != nil {
			return nil, err
		}
		if err := ingesttest.GenerateFile(f, r.o.Lines, r.shop.Products, seed); err != nil {
			f.Close()
			return nil, fmt.Errorf("generate %s: %w", name, err)
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		fmt.Fprintf(r.out, "queues bench: %s: %d lines\n", name, r.o.Lines)
		names = append(names, name)
	}
	return names, ctx.Err()
}
