package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/ingest"
	"shopflow/migrations"
	"shopflow/ranking/rankingtest"
)

const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// rawTable is the baseline's plain table: the file's columns, no key, no index.
const rawTable = "bench_raw_orders"

// ports prints N free TCP ports on 127.0.0.1 (held together while chosen, so they differ).
func ports(args []string) error {
	fs := flag.NewFlagSet("ports", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	n := 1
	if fs.NArg() > 0 {
		var err error
		if n, err = strconv.Atoi(fs.Arg(0)); err != nil {
			return err
		}
	}
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		ls = append(ls, l)
		fmt.Print(l.Addr().(*net.TCPAddr).Port, " ")
	}
	fmt.Println()
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func dbURL(adminURL, name string) (string, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// setup creates a fresh database next to --admin-url, migrates it and seeds --products products
// (of --sellers sellers, in a small category tree) with rankingtest.Seed, without sales.
func setup(args []string) error {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	adminURL := fs.String("admin-url", defaultAdminURL, "a database to create the run's database next to")
	products := fs.Int("products", 1000, "products to seed")
	sellers := fs.Int("sellers", 50, "sellers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	name := "shopflow_bench_ingest_" + randomHex(5)
	conn, err := pgx.Connect(ctx, *adminURL)
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	out("DB_NAME", name) // printed first, so the caller can drop it whatever happens next
	u, err := dbURL(*adminURL, name)
	if err != nil {
		return err
	}
	out("DATABASE_URL", u)
	pool, err := pgxpool.New(ctx, u)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := migrations.New(pool)
	if err != nil {
		return err
	}
	err = m.Up(ctx, slog.New(slog.DiscardHandler))
	m.Close()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	shop, err := rankingtest.Seed(ctx, pool, rankingtest.Spec{Roots: 4, Fanout: 5, Depth: 2, Sellers: *sellers,
		Products: *products, Source: "bench-ingest"})
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		return err
	}
	out("PRODUCTS", len(shop.Products))
	out("SELLERS", len(shop.Sellers))
	out("CATEGORIES", len(shop.Categories))
	progressf("database %s: migrated, %d products of %d sellers in %d categories", name, len(shop.Products), len(shop.Sellers), len(shop.Categories))
	return nil
}

// drop drops the run's database, closing any connection still open to it.
func drop(args []string) error {
	fs := flag.NewFlagSet("drop", flag.ContinueOnError)
	adminURL := fs.String("admin-url", defaultAdminURL, "the database the run's database was created next to")
	name := fs.String("name", "", "the database to drop")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" {
		return errors.New("--name is required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, *adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{*name}.Sanitize()+" WITH (FORCE)")
	return err
}

func productIDs(ctx context.Context, conn *pgx.Conn) ([]int64, error) {
	rows, err := conn.Query(ctx, `SELECT id FROM products ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// gen writes --lines order lines with ingest.GenerateFile (the products of the database, the
// seed), then reads the file back with encoding/csv, independently of Shopflow's parser, to
// count what an exact ingest must find: data lines, distinct keys, units and revenue.
func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	databaseURL := fs.String("database-url", "", "the run's database (for its products)")
	lines := fs.Int("lines", 1_000_000, "order lines")
	seed := fs.Int64("seed", 1, "generator seed")
	file := fs.String("out", "", "the file to write")
	prefix := fs.String("prefix", "GEN_", "prefix of the printed results")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, *databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	products, err := productIDs(ctx, conn)
	if err != nil {
		return err
	}
	f, err := os.Create(*file)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := ingest.GenerateFile(f, *lines, products, *seed); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	took := time.Since(start)

	known := make(map[int64]bool, len(products))
	for _, p := range products {
		known[p] = true
	}
	f, err = os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	info, _ := f.Stat()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.FieldsPerRecord = 8
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("read header: %w", err)
	}
	for i, c := range ingest.CSVColumns {
		if header[i] != c {
			return fmt.Errorf("header column %d is %q, want %q", i, header[i], c)
		}
	}
	keys := make(map[string]struct{}, *lines)
	orders := map[string]struct{}{}
	var n, units, revenue, bad int64
	var first, last time.Time
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read back line %d: %w", n+2, err)
		}
		n++
		lineNo, e1 := strconv.Atoi(rec[2])
		at, e2 := time.Parse(time.RFC3339, rec[3])
		pid, e3 := strconv.ParseInt(rec[4], 10, 64)
		qty, e4 := strconv.ParseInt(rec[5], 10, 64)
		price, e5 := strconv.ParseInt(rec[6], 10, 64)
		if err := errors.Join(e1, e2, e3, e4, e5); err != nil || !known[pid] || qty < 1 || qty > 1_000_000 || price < 0 ||
			lineNo < 1 || lineNo > 1000 || rec[7] != "USD" || rec[0] == "" || rec[1] == "" || at.After(time.Now().Add(24*time.Hour)) {
			bad++
			continue
		}
		keys[rec[0]+"\x00"+rec[1]+"\x00"+rec[2]] = struct{}{}
		orders[rec[0]+"\x00"+rec[1]] = struct{}{}
		units += qty
		revenue += qty * price
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	out(*prefix+"FILE", *file)
	out(*prefix+"LINES", n)
	out(*prefix+"BAD", bad)
	out(*prefix+"KEYS", len(keys))
	out(*prefix+"ORDERS", len(orders))
	out(*prefix+"UNITS", units)
	out(*prefix+"REVENUE", revenue)
	out(*prefix+"BYTES", info.Size())
	out(*prefix+"SECONDS", took.Seconds())
	progressf("generated %s: %d lines (%d distinct keys, %d orders, %d invalid by an independent check), %.1f MiB, units %d, times %s to %s, in %.1fs",
		*file, n, len(keys), len(orders), bad, float64(info.Size())/(1<<20), units, first.Format(time.DateOnly), last.Format(time.DateOnly), took.Seconds())
	return nil
}

// rawCopy is the baseline: the same file, header skipped by COPY itself, into a plain logged
// table with the same columns and no key or index, in one COPY FROM STDIN (as psql's \copy does),
// committed. It prints the wall time and the backend's CPU time, and checks what landed.
func rawCopy(args []string) error {
	fs := flag.NewFlagSet("rawcopy", flag.ContinueOnError)
	databaseURL := fs.String("database-url", "", "the run's database")
	file := fs.String("file", "", "the CSV file")
	prefix := fs.String("prefix", "RAW_", "prefix of the printed results")
	key := fs.Bool("key", false, "give the table a primary key on (source, external_order_id, line_no): the least a once-only count needs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, *databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	pk := ""
	if *key {
		pk = ", PRIMARY KEY (source, external_order_id, line_no)"
	}
	if _, err := conn.Exec(ctx, `DROP TABLE IF EXISTS `+rawTable+`; CREATE TABLE `+rawTable+` (
		source text, external_order_id text, line_no integer, ordered_at timestamptz,
		product_id bigint, quantity integer, unit_price_cents bigint, currency char(3)`+pk+`)`); err != nil {
		return err
	}
	var backend int
	if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		return err
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	cpu0, _ := procCPU(backend)
	start := time.Now()
	tag, err := conn.PgConn().CopyFrom(ctx, f, `COPY `+rawTable+` (source, external_order_id, line_no, ordered_at, product_id, quantity, unit_price_cents, currency)
		FROM STDIN WITH (FORMAT csv, HEADER true)`)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	took := time.Since(start)
	cpu1, _ := procCPU(backend)
	var rows, units, keys int64
	if err := conn.QueryRow(ctx, `SELECT count(*), sum(quantity), count(DISTINCT (source, external_order_id, line_no)) FROM `+rawTable).
		Scan(&rows, &units, &keys); err != nil {
		return err
	}
	out(*prefix+"SECONDS", took.Seconds())
	out(*prefix+"ROWS", tag.RowsAffected())
	out(*prefix+"LINES_PER_S", float64(tag.RowsAffected())/took.Seconds())
	out(*prefix+"BACKEND_CPU", cpu1-cpu0)
	out(*prefix+"UNITS", units)
	out(*prefix+"KEYS", keys)
	progressf("raw COPY (primary key %v): %d rows in %.2fs = %.0f lines/s (backend CPU %.2fs); %d distinct keys, units %d",
		*key, tag.RowsAffected(), took.Seconds(), float64(tag.RowsAffected())/took.Seconds(), cpu1-cpu0, keys, units)
	return nil
}

// reset empties what a run of ingest fills (batches, sale keys, facts, the rollup) and the baseline's
// table, and checkpoints, so the next measurement starts from the same state.
func reset(args []string) error {
	fs := flag.NewFlagSet("reset", flag.ContinueOnError)
	databaseURL := fs.String("database-url", "", "the run's database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, *databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `TRUNCATE sale_keys, sales_facts, sales_hourly, ingest_batches; DROP TABLE IF EXISTS `+rawTable+`; CHECKPOINT`)
	return err
}

type batchRow struct {
	Status                                                  string
	Offset, Size, LinesRead, Accepted, Duplicates, Rejected int64
	Failure                                                 string
	Created, Updated                                        time.Time
	Finished                                                *time.Time
}

func readBatch(ctx context.Context, conn *pgx.Conn, id string) (batchRow, error) {
	var b batchRow
	err := conn.QueryRow(ctx, `SELECT status, offset_bytes, size_bytes, lines_read, accepted, duplicates, rejected,
		coalesce(failure, ''), created_at, updated_at, finished_at FROM ingest_batches WHERE id = $1`, id).
		Scan(&b.Status, &b.Offset, &b.Size, &b.LinesRead, &b.Accepted, &b.Duplicates, &b.Rejected, &b.Failure, &b.Created, &b.Updated, &b.Finished)
	return b, err
}

func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// wait polls the batch until it is completed or failed, for at most --timeout, printing its
// progress every --every. The end is the batch's finished_at, set by the database at
// completion, so polling adds no error; the start is --since (when the CLI was launched).
func wait(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ContinueOnError)
	databaseURL := fs.String("database-url", "", "the run's database")
	id := fs.String("batch", "", "batch id")
	since := fs.Float64("since", 0, "when the submission started, Unix seconds")
	timeout := fs.Duration("timeout", 20*time.Minute, "give up after this long")
	every := fs.Duration("every", 5*time.Second, "progress interval")
	prefix := fs.String("prefix", "B_", "prefix of the printed results")
	label := fs.String("label", "ingest", "what to call it in progress lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, *databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	deadline := time.Now().Add(*timeout)
	next := time.Now().Add(*every)
	var firstCommit float64
	for {
		b, err := readBatch(ctx, conn, *id)
		if err != nil {
			return fmt.Errorf("read batch %s: %w", *id, err)
		}
		if firstCommit == 0 && b.Offset > 0 {
			firstCommit = epoch(b.Updated)
		}
		if b.Status == "completed" || b.Status == "failed" {
			finished := epoch(*b.Finished)
			out(*prefix+"STATUS", b.Status)
			out(*prefix+"FAILURE", b.Failure)
			out(*prefix+"LINES_READ", b.LinesRead)
			out(*prefix+"ACCEPTED", b.Accepted)
			out(*prefix+"DUPLICATES", b.Duplicates)
			out(*prefix+"REJECTED", b.Rejected)
			out(*prefix+"CREATED", epoch(b.Created))
			out(*prefix+"FIRST_COMMIT", firstCommit)
			out(*prefix+"FINISHED", finished)
			out(*prefix+"TOTAL_SECONDS", finished-*since)
			out(*prefix+"WORKER_SECONDS", finished-epoch(b.Created))
			progressf("%s: %s, %d lines read, %d accepted, %d duplicates, %d rejected; %.1fs from submission, %.1fs from registration",
				*label, b.Status, b.LinesRead, b.Accepted, b.Duplicates, b.Rejected, finished-*since, finished-epoch(b.Created))
			if b.Status == "failed" {
				return fmt.Errorf("batch %s failed: %s", *id, b.Failure)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("batch %s not finished after %s (%s, byte %d of %d)", *id, *timeout, b.Status, b.Offset, b.Size)
		}
		if time.Now().After(next) {
			el := float64(time.Now().UnixNano())/1e9 - *since
			progressf("%s: %s, %5.1f%% of the file, %d lines, %.0fs, %.0f lines/s so far", *label, b.Status,
				100*float64(b.Offset)/float64(max(b.Size, 1)), b.LinesRead, el, float64(b.LinesRead)/el)
			next = next.Add(*every)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// verify checks a completed batch and the sales tables against gen's count of the file: every
// line accepted once, none duplicate or rejected, facts and keys one per line, and the rollup's
// units, revenue and lines equal to the file's. The sales tables must hold this batch only.
func verify(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	databaseURL := fs.String("database-url", "", "the run's database")
	id := fs.String("batch", "", "batch id")
	lines := fs.Int64("lines", 0, "data lines in the file")
	units := fs.Int64("units", 0, "sum of quantity in the file")
	revenue := fs.Int64("revenue", 0, "sum of quantity * unit_price_cents in the file")
	prefix := fs.String("prefix", "V_", "prefix of the printed results")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, *databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	b, err := readBatch(ctx, conn, *id)
	if err != nil {
		return err
	}
	var facts, keys, hUnits, hRevenue, hLines int64
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM sales_facts), (SELECT count(*) FROM sale_keys),
		(SELECT coalesce(sum(units), 0) FROM sales_hourly), (SELECT coalesce(sum(revenue_cents), 0) FROM sales_hourly),
		(SELECT coalesce(sum(lines), 0) FROM sales_hourly)`).Scan(&facts, &keys, &hUnits, &hRevenue, &hLines); err != nil {
		return err
	}
	var problems []string
	check := func(what string, got, want int64) {
		if got != want {
			problems = append(problems, fmt.Sprintf("%s = %d, want %d", what, got, want))
		}
	}
	check("accepted", b.Accepted, *lines)
	check("duplicates", b.Duplicates, 0)
	check("rejected", b.Rejected, 0)
	check("lines_read", b.LinesRead, *lines+1)
	check("count(sales_facts)", facts, *lines)
	check("count(sale_keys)", keys, *lines)
	check("sum(sales_hourly.units)", hUnits, *units)
	check("sum(sales_hourly.revenue_cents)", hRevenue, *revenue)
	check("sum(sales_hourly.lines)", hLines, *lines)
	out(*prefix+"FACTS", facts)
	out(*prefix+"KEYS", keys)
	out(*prefix+"UNITS", hUnits)
	out(*prefix+"REVENUE", hRevenue)
	if len(problems) > 0 {
		out(*prefix+"OK", "no")
		out(*prefix+"PROBLEMS", fmt.Sprint(problems))
		progressf("verify: WRONG: %v", problems)
		return nil
	}
	out(*prefix+"OK", "yes")
	progressf("verify: ok: %d facts = %d keys = accepted = lines in the file; rollup units %d and revenue %d equal the file's",
		facts, keys, hUnits, hRevenue)
	return nil
}
