package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"shopflow/store"
	"shopflow/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

// fixture is a migrated database of its own with a seller's products, and a fresh ingest
// directory.
type fixture struct {
	t        *testing.T
	st       *store.Store
	files    Files
	products []int64
}

func newFixture(t *testing.T, products int) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, st: store.New(storetest.NewPool(t)), files: Files{Dir: t.TempDir()}}
	u, err := f.st.CreateUser(ctx, store.NewUser{Email: "s@example.com", PasswordHash: "x", Role: store.RoleSeller, StoreName: "Lamps"})
	if err != nil {
		t.Fatal(err)
	}
	var category int64
	if err := f.st.Pool.QueryRow(ctx, `INSERT INTO categories (name, slug) VALUES ('Home', 'home') RETURNING id`).Scan(&category); err != nil {
		t.Fatal(err)
	}
	for range products {
		var id int64
		if err := f.st.Pool.QueryRow(ctx, `INSERT INTO products (seller_id, category_id, name, price_cents, currency)
			VALUES ($1, $2, 'Lamp', 500, 'USD') RETURNING id`, *u.SellerID, category).Scan(&id); err != nil {
			t.Fatal(err)
		}
		f.products = append(f.products, id)
	}
	return f
}

func (f *fixture) submit(name string, content []byte) (store.Batch, bool) {
	f.t.Helper()
	format, _ := FormatOfName(name)
	b, created, err := Submit(context.Background(), f.st, f.files, Submission{Filename: name, Format: format, Body: bytes.NewReader(content), SubmittedBy: "test"})
	if err != nil {
		f.t.Fatalf("submit %s: %v", name, err)
	}
	return b, created
}

func (f *fixture) batches(chunkLines int) *Batches {
	return &Batches{Store: f.st, Files: f.files, ChunkLines: chunkLines, Now: func() time.Time { return testNow }}
}

// ingestAll runs chunks until the file is read, then completes the batch.
func (f *fixture) ingestAll(b *Batches, id string) (store.Batch, int) {
	f.t.Helper()
	chunks := 0
	for {
		res, err := b.IngestChunk(context.Background(), id, nil)
		if err != nil {
			f.t.Fatalf("chunk %d of batch %s: %v", chunks+1, id, err)
		}
		chunks++
		if res.Done {
			break
		}
		if chunks > 10_000 {
			f.t.Fatal("the batch never finishes")
		}
	}
	done, err := b.Complete(context.Background(), id)
	if err != nil {
		f.t.Fatalf("complete batch %s: %v", id, err)
	}
	return done, chunks
}

func (f *fixture) count(query string, args ...any) int64 {
	f.t.Helper()
	var n int64
	if err := f.st.Pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// rollupMatchesFacts checks the hourly rollup against an independent sum of the raw facts.
func (f *fixture) rollupMatchesFacts() {
	f.t.Helper()
	if n := f.count(`
		SELECT count(*) FROM (
			(SELECT date_trunc('hour', ordered_at), product_id, currency, sum(quantity), sum(quantity * unit_price_cents), count(*)
			 FROM sales_facts GROUP BY 1, 2, 3
			 EXCEPT
			 SELECT hour, product_id, currency, units, revenue_cents, lines FROM sales_hourly)
			UNION ALL
			(SELECT hour, product_id, currency, units, revenue_cents, lines FROM sales_hourly
			 EXCEPT
			 SELECT date_trunc('hour', ordered_at), product_id, currency, sum(quantity), sum(quantity * unit_price_cents), count(*)
			 FROM sales_facts GROUP BY 1, 2, 3)) diff`); n != 0 {
		f.t.Fatalf("%d rollup rows differ from the facts", n)
	}
}

func (f *fixture) errorEntries(b store.Batch) []Rejection {
	f.t.Helper()
	if b.ErrorPath == "" {
		f.t.Fatalf("batch %s has no error file", b.ID)
	}
	p, err := f.files.Abs(b.ErrorPath)
	if err != nil {
		f.t.Fatal(err)
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []Rejection
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var r Rejection
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			f.t.Fatalf("error file line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}
