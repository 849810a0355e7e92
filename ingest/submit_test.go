package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"shopflow/errs"
	"shopflow/ingest/ingesttest"
	"shopflow/store"
)

// TestSameFileTwiceChangesNothing: the same content is the same batch, before and after its
// ingest, and ingesting it again counts nothing.
func TestSameFileTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 3)
	var file bytes.Buffer
	if err := ingesttest.GenerateFile(&file, 300, f.products, 11); err != nil {
		t.Fatal(err)
	}
	first, created := f.submit("a.csv", file.Bytes())
	again, createdAgain := f.submit("b.csv", file.Bytes())
	if !created || createdAgain || again.ID != first.ID || again.Filename != "a.csv" {
		t.Fatalf("first %s (created %v), again %s (created %v, name %s)", first.ID, created, again.ID, createdAgain, again.Filename)
	}
	b := f.batches(100)
	done, _ := f.ingestAll(b, first.ID)
	after, createdAfter := f.submit("c.csv", file.Bytes())
	if createdAfter || after.ID != first.ID || after.Status != store.BatchCompleted {
		t.Fatalf("after ingest: %+v created %v", after, createdAfter)
	}
	// A workflow started again for it (or a retried last activity) finds nothing to do.
	res, err := b.IngestChunk(context.Background(), first.ID, nil)
	if err != nil || !res.Done {
		t.Fatalf("chunk of a completed batch: %+v %v", res, err)
	}
	again2, err := b.Complete(context.Background(), first.ID)
	if err != nil || !reflect.DeepEqual(again2, done) {
		t.Fatalf("completing again: %+v %v\nwas %+v", again2, err, done)
	}
	if n := f.count(`SELECT count(*) FROM sales_facts`); n != 300 || done.Accepted != 300 {
		t.Fatalf("%d facts, %d accepted; want 300", n, done.Accepted)
	}
	if n := f.count(`SELECT count(*) FROM ingest_batches`); n != 1 {
		t.Fatalf("%d batches", n)
	}
}

// TestFileAndAPICountOnce: orders reported through store.RecordSales (the ingest API's path)
// and again in a file count once, whichever came first.
func TestFileAndAPICountOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2)
	ctx := context.Background()
	p := f.products[0]
	at := time.Date(2026, 11, 20, 9, 15, 0, 0, time.UTC)
	viaAPI := []store.SaleLine{
		{Source: "legacy", ExternalOrderID: "C-1", LineNo: 1, OrderedAt: at, ProductID: p, Quantity: 2, UnitPriceCents: 300, Currency: "USD"},
		{Source: "legacy", ExternalOrderID: "C-1", LineNo: 2, OrderedAt: at, ProductID: p, Quantity: 1, UnitPriceCents: 300, Currency: "USD"},
	}
	if got, err := f.st.RecordSales(ctx, viaAPI); err != nil || got.Counted != 2 {
		t.Fatalf("API path: %+v %v", got, err)
	}
	file := header + "\n" +
		"legacy,C-1,1,2026-11-20T09:15:00Z," + fmt.Sprint(p) + ",2,300,USD\n" +
		"legacy,C-1,2,2026-11-20T09:15:00Z," + fmt.Sprint(p) + ",1,300,USD\n" +
		"legacy,C-2,1,2026-11-20T09:15:00Z," + fmt.Sprint(p) + ",5,300,USD\n"
	batch, _ := f.submit("legacy.csv", []byte(file))
	done, _ := f.ingestAll(f.batches(100), batch.ID)
	if done.Accepted != 1 || done.Duplicates != 2 {
		t.Fatalf("file after API: %+v", done)
	}
	// And the other way round: the API path after the file counts nothing new.
	if got, err := f.st.RecordSales(ctx, []store.SaleLine{{Source: "legacy", ExternalOrderID: "C-2", LineNo: 1, OrderedAt: at,
		ProductID: p, Quantity: 5, UnitPriceCents: 300, Currency: "USD"}}); err != nil || got.Counted != 0 || got.Duplicates != 1 {
		t.Fatalf("API after file: %+v %v", got, err)
	}
	if n := f.count(`SELECT sum(quantity) FROM sales_facts`); n != 8 {
		t.Fatalf("%d units, want 8", n)
	}
	if n := f.count(`SELECT units FROM sales_hourly WHERE product_id = $1`, p); n != 8 {
		t.Fatalf("rollup has %d units, want 8", n)
	}
	f.rollupMatchesFacts()
}

// TestUnusableBatches: files that cannot be ingested fail at once, not after retries.
func TestUnusableBatches(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	ctx := context.Background()
	b := f.batches(100)

	// A CSV file without its header is refused at submission, and nothing is registered.
	_, _, err := Submit(ctx, f.st, f.files, Submission{Filename: "x.csv", Format: FormatCSV, Body: strings.NewReader("legacy,A-1,1\n")})
	if !errs.Is(err, errs.Unprocessable) || !strings.Contains(err.Error(), `unknown column "legacy"`) {
		t.Fatalf("headerless CSV: %v", err)
	}
	if _, _, err := Submit(ctx, f.st, f.files, Submission{Filename: "x.ndjson", Format: FormatNDJSON, Body: strings.NewReader("")}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("empty file: %v", err)
	}
	if _, _, err := Submit(ctx, f.st, f.files, Submission{Filename: "x.ndjson", Format: FormatNDJSON, Body: strings.NewReader("{}\n{}\n"), Limit: 4}); !errs.Is(err, errs.TooLarge) {
		t.Fatalf("file over the limit: %v", err)
	}
	if n := f.count(`SELECT count(*) FROM ingest_batches`); n != 0 {
		t.Fatalf("%d batches registered", n)
	}
	if entries, _ := os.ReadDir(filepath.Join(f.files.Dir, "batches")); len(entries) != 0 {
		t.Fatalf("refused files left in storage: %v", entries)
	}

	// A stored file that went missing or changed.
	batch, _ := f.submit("gone.ndjson", []byte(`{"source":"x"}`+"\n"))
	path, _ := f.files.Abs(batch.Path)
	if err := os.WriteFile(path, []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := b.IngestChunk(ctx, batch.ID, nil); !errors.Is(err, ErrUnusableBatch) || !strings.Contains(err.Error(), "has 3 bytes") {
		t.Fatalf("changed file: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := b.IngestChunk(ctx, batch.ID, nil); !errors.Is(err, ErrUnusableBatch) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing file: %v", err)
	}
	// Failed, then submitted again: queued once more, with its progress kept.
	if err := f.st.FailBatch(ctx, batch.ID, "file missing"); err != nil {
		t.Fatal(err)
	}
	again, created := f.submit("gone.ndjson", []byte(`{"source":"x"}`+"\n"))
	if created || again.ID != batch.ID || again.Status != store.BatchQueued || again.Failure != "" || again.FinishedAt != nil {
		t.Fatalf("resubmitted failed batch: %+v", again)
	}
	done, _ := f.ingestAll(b, batch.ID)
	if done.Rejected != 1 || done.Accepted != 0 {
		t.Fatalf("resumed batch: %+v", done)
	}
	if _, err := b.IngestChunk(ctx, "4b3c7a55-0000-4000-8000-000000000000", nil); !errs.Is(err, errs.NotFound) {
		t.Fatalf("unknown batch: %v", err)
	}
}
