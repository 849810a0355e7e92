package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/app"
	"shopflow/bench/benchdoc"
	"shopflow/bench/benchenv"
	"shopflow/ingest/ingesttest"
	"shopflow/ranking/rankingtest"
)

// run sets everything up, times the baseline and Shopflow on the same file, and reports.
func run(ctx context.Context, o options, out, stderr io.Writer) (err error) {
	rep := report{Started: time.Now().UTC(), Machine: benchenv.Machine(), Command: benchenv.CommandLine("ingest"), Lines: o.Lines}
	fmt.Fprintf(out, "ingest bench: %s\n", rep.Machine)
	var undo benchenv.Undo
	defer func() { err = errors.Join(err, undo.Run()) }()
	tmp, err := os.MkdirTemp("", "shopflow-bench-ingest-")
	if err != nil {
		return err
	}
	undo.Push(func() error { return os.RemoveAll(tmp) })
	shopflow, err := buildShopflow(ctx, o.Shopflow, tmp, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "ingest bench: starting the Temporal dev server (%s)\n", o.TemporalBin)
	tem, err := benchenv.StartTemporal(ctx, o.TemporalBin, tmp, time.Minute)
	if err != nil {
		return err
	}
	undo.Push(func() error {
		fmt.Fprintf(out, "ingest bench: stopping Temporal (pid %d)\n", tem.PID())
		tem.Stop()
		return nil
	})
	db, err := benchenv.CreateDatabase(ctx, o.DatabaseURL, "shopflow_bench_ingest_")
	if err != nil {
		return err
	}
	undo.Push(func() error { return db.Drop(context.WithoutCancel(ctx)) })
	cfg, env, err := benchenv.Config(tmp, db.URL, o.RedisURL, tem.Address)
	if err != nil {
		return err
	}
	undo.Push(func() error { return benchenv.DeleteRedisKeys(context.WithoutCancel(ctx), o.RedisURL, cfg.RedisPrefix) })
	a, err := app.Open(ctx, cfg, app.Options{Logger: benchenv.Logger(stderr)})
	if err != nil {
		return err
	}
	undo.Push(func() error { a.Close(); return nil })
	if err := a.SetupTemporal(ctx); err != nil { // search attributes and Schedules, as shopflow dev does
		return err
	}
	rep.ChunkLines = cfg.IngestChunkLines
	file, err := generate(ctx, a, o, tmp, out)
	if err != nil {
		return err
	}
	if err := measure(ctx, a, o, &rep, file, shopflow, env, out); err != nil {
		return err
	}
	rep.LoadAfter = benchenv.LoadAverage()
	md := rep.markdown()
	fmt.Fprint(out, "\n", md)
	if o.Doc == "" {
		return nil
	}
	if err := benchdoc.Write(o.Doc, "ingest", md); err != nil {
		return err
	}
	fmt.Fprintf(out, "ingest bench: wrote its section of %s\n", o.Doc)
	return nil
}

// measure runs the baseline, Shopflow's ingest with the worker running, and the baseline again.
func measure(ctx context.Context, a *app.App, o options, rep *report, file, shopflow string, env []string, out io.Writer) error {
	first, err := rawCopy(ctx, a, file, o.Lines)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "ingest bench: raw COPY: %d lines in %s\n", o.Lines, first.Round(time.Millisecond))
	worker := benchenv.Go(ctx, a.RunWorker)
	took, err := ingestWithShopflow(ctx, a, o, file, shopflow, env, out)
	if err := errors.Join(err, worker.Stop()); err != nil {
		return err
	}
	rep.Shopflow = took
	second, err := rawCopy(ctx, a, file, o.Lines)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "ingest bench: raw COPY again: %s\n", second.Round(time.Millisecond))
	rep.Copies = []time.Duration{first, second}
	return nil
}

// buildShopflow builds cmd/shopflow as make build does, unless a binary was given.
func buildShopflow(ctx context.Context, given, dir string, out io.Writer) (string, error) {
	if given != "" {
		return given, nil
	}
	bin := filepath.Join(dir, "shopflow")
	fmt.Fprintln(out, "ingest bench: go build ./cmd/shopflow")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/shopflow")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/shopflow: %w\n%s", err, msg)
	}
	return bin, nil
}

// generate seeds the products and writes the order file.
func generate(ctx context.Context, a *app.App, o options, dir string, out io.Writer) (string, error) {
	shop, err := rankingtest.Seed(ctx, a.Pool, rankingtest.Spec{Roots: 4, Fanout: 5, Depth: 2, Sellers: 50,
		Products: o.Products, Source: "bench-ingest"})
	if err != nil {
		return "", fmt.Errorf("seed products: %w", err)
	}
	if _, err := a.Pool.Exec(ctx, `ANALYZE`); err != nil {
		return "", err
	}
	name := filepath.Join(dir, fmt.Sprintf("orders-%d.csv", o.Lines))
	f, err := os.Create(name)
	if err != nil {
		return "", err
	}
	if err := ingesttest.GenerateFile(f, o.Lines, shop.Products, 1); err != nil {
		f.Close()
		return "", fmt.Errorf("generate %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	fmt.Fprintf(out, "ingest bench: %s: %d lines of %d products\n", name, o.Lines, len(shop.Products))
	return name, nil
}

// rawCopy is the baseline: the file, header skipped by COPY itself, into a fresh plain table with
// the same columns and no key or index, in one COPY FROM STDIN, committed. The table is dropped
// afterwards so each copy starts alike.
func rawCopy(ctx context.Context, a *app.App, file string, lines int) (time.Duration, error) {
	conn, err := a.Pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `CREATE TABLE bench_raw_orders (source text, external_order_id text, line_no integer,
		ordered_at timestamptz, product_id bigint, quantity integer, unit_price_cents bigint, currency char(3))`); err != nil {
		return 0, fmt.Errorf("create baseline table: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS bench_raw_orders`)
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	start := time.Now()
	tag, err := conn.Conn().PgConn().CopyFrom(ctx, f, `COPY bench_raw_orders FROM STDIN WITH (FORMAT csv, HEADER true)`)
	took := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("raw COPY: %w", err)
	}
	if tag.RowsAffected() != int64(lines) {
		return 0, fmt.Errorf("raw COPY loaded %d rows, want %d", tag.RowsAffected(), lines)
	}
	return took, nil
}

// batchState is an ingest batch's row, as far as the benchmark follows it.
type batchState struct {
	Status                                    string
	LinesRead, Accepted, Duplicates, Rejected int64
	Failure                                   string
	Finished                                  *time.Time
}

func readBatch(ctx context.Context, a *app.App, id string) (batchState, error) {
	var b batchState
	err := a.Pool.QueryRow(ctx, `SELECT status, lines_read, accepted, duplicates, rejected, coalesce(failure, ''), finished_at
		FROM ingest_batches WHERE id = $1`, id).Scan(&b.Status, &b.LinesRead, &b.Accepted, &b.Duplicates, &b.Rejected, &b.Failure, &b.Finished)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, fmt.Errorf("no ingest batch %s", id)
	}
	return b, err
}
