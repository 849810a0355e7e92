package ingest

import (
	"bytes"
	"context"
	"testing"

	"shopflow/ingest/ingesttest"
	"shopflow/store"
	"shopflow/store/storetest"
)

// BenchmarkIngestChunk measures ingesting a generated file of 20,000 order lines in chunks of
// 5,000, database included (one fresh batch per iteration).
func BenchmarkIngestChunk(b *testing.B) {
	f := newBenchFixture(b)
	var file bytes.Buffer
	for i := 0; b.Loop(); i++ {
		file.Reset()
		if err := ingesttest.GenerateFile(&file, 20_000, f.products, int64(i)); err != nil {
			b.Fatal(err)
		}
		batch, _, err := Submit(context.Background(), f.st, f.files, Submission{Filename: "bench.csv", Format: FormatCSV, Body: &file})
		if err != nil {
			b.Fatal(err)
		}
		ing := &Batches{Store: f.st, Files: f.files, ChunkLines: 5000}
		for {
			res, err := ing.IngestChunk(context.Background(), batch.ID, nil)
			if err != nil {
				b.Fatal(err)
			}
			if res.Done {
				break
			}
		}
	}
	b.ReportMetric(float64(20_000*b.N)/b.Elapsed().Seconds(), "lines/s")
}

type benchFixture struct {
	st       *store.Store
	files    Files
	products []int64
}

func newBenchFixture(b *testing.B) benchFixture {
	ctx := context.Background()
	f := benchFixture{st: store.New(storetest.NewPool(b)), files: Files{Dir: b.TempDir()}}
	u, err := f.st.CreateUser(ctx, store.NewUser{Email: "s@example.com", PasswordHash: "x", Role: store.RoleSeller, StoreName: "Lamps"})
	if err != nil {
		b.Fatal(err)
	}
	if err := f.st.Pool.QueryRow(ctx, `
		WITH c AS (INSERT INTO categories (name, slug) VALUES ('Home', 'home') RETURNING id),
		p AS (INSERT INTO products (seller_id, category_id, name, price_cents, currency)
		      SELECT $1, c.id, 'Lamp', 500, 'USD' FROM c, generate_series(1, 50) RETURNING id)
		SELECT array_agg(id) FROM p`, *u.SellerID).Scan(&f.products); err != nil {
		b.Fatal(err)
	}
	return f
}
