package ingest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"shopflow/errs"
	"shopflow/ingest/ingesttest"
	"shopflow/store"
)

// TestChunksKeepGoodRowsAndReportBadOnes ingests a CSV file of good rows and every kind of bad
// one, in chunks of four lines: the good rows count, and each bad one is in the error file with
// its line number and reason.
func TestChunksKeepGoodRowsAndReportBadOnes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2)
	p, q := f.products[0], f.products[1]
	row := func(order string, line int, product int64, quantity string) string {
		return fmt.Sprintf("legacy,%s,%d,2026-11-20T10:30:00Z,%d,%s,250,USD", order, line, product, quantity)
	}
	lines := []string{
		header,                             // 1
		row("A-1", 1, p, "2"),              // 2 good
		row("A-1", 2, q, "1") + "\r",       // 3 good, CRLF
		"legacy,A-2,1,2026-11-20,7,1",      // 4 missing fields
		"",                                 // 5 blank: skipped, not an error
		row("A-2", 1, 999_999, "1"),        // 6 unknown product
		row("A-3", 1, p, "-4"),             // 7 negative quantity
		"legacy,A-4,1,yesterday,1,1,1,USD", // 8 bad date
		"legacy,A-\xff,1,2026-11-20T10:30:00Z,1,1,1,USD",    // 9 broken UTF-8
		row("A-5", 1, p, "1") + strings.Repeat(" ", 10<<20), // 10 a 10 MB line
		row("A-6", 1, q, "3"),                               // 11 good
		row("A-6", 1, q, "3"),                               // 12 the same line again: a duplicate
		row("A-7", 1, p, "1"),                               // 13 good, no newline at the end
	}
	file := strings.Join(lines, "\n")
	batch, created := f.submit("orders.csv", []byte(file))
	if !created || batch.Status != store.BatchQueued || batch.SizeBytes != int64(len(file)) {
		t.Fatalf("registered %+v created %v", batch, created)
	}
	b := f.batches(4)

	// The first chunk commits its sales with its progress.
	res, err := b.IngestChunk(context.Background(), batch.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := res.Batch
	if res.Done || first.Status != store.BatchRunning || first.LinesRead != 4 || first.Accepted != 2 || first.Rejected != 1 ||
		first.OffsetBytes != int64(len(strings.Join(lines[:4], "\n"))+1) {
		t.Fatalf("after the first chunk: %+v", first)
	}
	if n := f.count(`SELECT count(*) FROM sales_facts`); n != 2 {
		t.Fatalf("%d facts after the first chunk, want 2", n)
	}

	done, chunks := f.ingestAll(b, batch.ID)
	if chunks != 3 { // lines 5-8, 9-12, 13
		t.Errorf("%d more chunks, want 3", chunks)
	}
	if done.Status != store.BatchCompleted || done.LinesRead != 13 || done.Accepted != 4 || done.Duplicates != 1 || done.Rejected != 6 ||
		done.OffsetBytes != done.SizeBytes || done.FinishedAt == nil {
		t.Fatalf("completed batch: %+v", done)
	}
	if n := f.count(`SELECT count(*) FROM sales_facts WHERE source = 'legacy'`); n != 4 {
		t.Fatalf("%d facts, want 4", n)
	}
	if n := f.count(`SELECT sum(quantity) FROM sales_facts WHERE source = 'legacy'`); n != 2+1+3+1 {
		t.Fatalf("%d units counted, want 7", n)
	}
	f.rollupMatchesFacts()

	got := f.errorEntries(done)
	want := []struct {
		line   int64
		reason string
	}{
		{4, "the row has 6 fields, the header 8"},
		{6, fmt.Sprintf("product_id %d does not exist", 999_999)},
		{7, "quantity must be between 1 and 1000000, got -4"},
		{8, "ordered_at must be an RFC 3339 time"},
		{9, "not valid UTF-8"},
		{10, "line too long"},
	}
	if len(got) != len(want) {
		t.Fatalf("error file has %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Line != w.line || !strings.Contains(got[i].Reason, w.reason) {
			t.Errorf("error %d: line %d %q, want line %d %q", i, got[i].Line, got[i].Reason, w.line, w.reason)
		}
	}
	if got[0].Text != lines[3] || got[0].Truncated {
		t.Errorf("quoted line 4: %q (truncated %v)", got[0].Text, got[0].Truncated)
	}
	if long := got[5]; !long.Truncated || len(long.Text) != excerptBytes || !strings.HasPrefix(long.Text, "legacy,A-5") {
		t.Errorf("quoted long line: %d bytes, truncated %v", len(long.Text), long.Truncated)
	}
	// The chunk files were joined and removed.
	entries, _ := os.ReadDir(filepath.Join(f.files.Dir, "errors", batch.ID))
	if len(entries) != 1 || entries[0].Name() != "errors.ndjson" {
		t.Errorf("error directory holds %v", entries)
	}
}

// TestNDJSONChunksRejectWholeOrders: an NDJSON line is an order, counted or rejected whole.
func TestNDJSONChunksRejectWholeOrders(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	p := f.products[0]
	order := func(id string, products ...int64) string {
		var ls []string
		for _, pr := range products {
			ls = append(ls, fmt.Sprintf(`{"product_id":%d,"quantity":1,"unit_price_cents":100,"currency":"EUR"}`, pr))
		}
		return fmt.Sprintf(`{"source":"shop2","external_order_id":%q,"ordered_at":"2026-11-19T08:00:00Z","lines":[%s]}`, id, strings.Join(ls, ","))
	}
	file := strings.Join([]string{order("B-1", p, p), order("B-2", p, 424242), `{"source":`, order("B-3", p)}, "\r\n") + "\r\n"
	batch, _ := f.submit("orders.jsonl", []byte(file))
	if batch.Format != "ndjson" || !strings.HasSuffix(batch.Path, ".ndjson") {
		t.Fatalf("registered %+v", batch)
	}
	done, _ := f.ingestAll(f.batches(100), batch.ID)
	if done.Accepted != 3 || done.Rejected != 2 || done.LinesRead != 4 {
		t.Fatalf("completed batch: %+v", done)
	}
	got := f.errorEntries(done)
	if len(got) != 2 || got[0].Line != 2 || got[0].Reason != "lines[1].product_id 424242 does not exist" ||
		got[1].Line != 3 || !strings.Contains(got[1].Reason, "malformed JSON") {
		t.Fatalf("errors: %+v", got)
	}
	if n := f.count(`SELECT count(*) FROM sales_facts WHERE external_order_id = 'B-2'`); n != 0 {
		t.Fatalf("%d lines of the rejected order counted", n)
	}
}

// TestInterruptedIngestResumesWithoutDoubleCounting runs some chunks, then drops that worker
// (as if killed) and lets a fresh one finish: every line counts exactly once.
func TestInterruptedIngestResumesWithoutDoubleCounting(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 5)
	var file bytes.Buffer
	if err := ingesttest.GenerateFile(&file, 1000, f.products, 7); err != nil {
		t.Fatal(err)
	}
	batch, _ := f.submit("day.csv", file.Bytes())
	ctx := context.Background()

	killed := f.batches(150)
	for range 3 {
		if _, err := killed.IngestChunk(ctx, batch.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	mid, err := f.st.BatchByID(ctx, batch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if mid.LinesRead != 450 || mid.Accepted != 449 || f.count(`SELECT count(*) FROM sales_facts`) != 449 {
		t.Fatalf("after 3 chunks: %+v, %d facts", mid, f.count(`SELECT count(*) FROM sales_facts`))
	}
	// A chunk that read past the committed offset but died before committing is simply redone;
	// a stale attempt that commits late is refused and writes nothing.
	stale := store.BatchChunk{BatchID: batch.ID, FromOffset: 0, ToOffset: mid.OffsetBytes, LinesRead: 1,
		Sales: []store.SaleLine{{Source: "gen", ExternalOrderID: "stale", LineNo: 1, OrderedAt: testNow, ProductID: f.products[0], Quantity: 1, Currency: "USD"}}}
	if _, err := f.st.CommitBatchChunk(ctx, stale); !errs.Is(err, errs.Conflict) {
		t.Fatalf("stale chunk commit: %v, want a conflict", err)
	}

	fresh := f.batches(150)
	var progress []int64
	for {
		res, err := fresh.IngestChunk(ctx, batch.ID, func(p Progress) { progress = append(progress, p.LinesRead) })
		if err != nil {
			t.Fatal(err)
		}
		if res.Done {
			break
		}
	}
	done, err := fresh.Complete(ctx, batch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.LinesRead != 1001 || done.Accepted != 1000 || done.Duplicates != 0 || done.Rejected != 0 {
		t.Fatalf("completed: %+v", done)
	}
	if n := f.count(`SELECT count(*) FROM sales_facts`); n != 1000 {
		t.Fatalf("%d facts, want 1000", n)
	}
	if n := f.count(`SELECT count(*) FROM sales_facts WHERE external_order_id = 'stale'`); n != 0 {
		t.Fatal("the stale chunk's sale was written")
	}
	if len(progress) == 0 || progress[0] <= 450 || !slices.IsSorted(progress) {
		t.Fatalf("progress reports %v: the fresh worker did not resume after line 450", progress)
	}
	f.rollupMatchesFacts()
	// An empty error file: nothing was rejected.
	if got := f.errorEntries(done); len(got) != 0 {
		t.Fatalf("errors: %+v", got)
	}
}
