package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"shopflow/errs"
	"shopflow/store"
	"shopflow/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

// ---------------------------------------------------------------------------------------------
// Reading lines

func readAll(t *testing.T, r io.Reader, max int) []RawLine {
	t.Helper()
	lr := NewLineReader(r, 0, max)
	var out []RawLine
	for {
		l, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		l.Data = bytes.Clone(l.Data)
		out = append(out, l)
	}
}

func TestLineReaderEndings(t *testing.T) {
	t.Parallel()
	// LF, CRLF, a blank line, a lone CR inside a line, and no newline at the end.
	lines := readAll(t, strings.NewReader("a,b\r\nc\n\nd\re\nlast"), 100)
	want := []struct {
		data         string
		offset, size int64
	}{{"a,b", 0, 5}, {"c", 5, 2}, {"", 7, 1}, {"d\re", 8, 4}, {"last", 12, 4}}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d: %+v", len(lines), len(want), lines)
	}
	for i, w := range want {
		if l := lines[i]; string(l.Data) != w.data || l.Offset != w.offset || l.Size != w.size || l.TooLong {
			t.Errorf("line %d: %q at %d size %d (too long %v), want %q at %d size %d", i+1, l.Data, l.Offset, l.Size, l.TooLong, w.data, w.offset, w.size)
		}
	}
}

func TestLineReaderBound(t *testing.T) {
	t.Parallel()
	max := 10
	exact := strings.Repeat("x", max)
	over := strings.Repeat("y", max+1)
	// Lines of exactly the bound are whole, with either ending; one byte more is too long.
	lines := readAll(t, strings.NewReader(exact+"\n"+exact+"\r\n"+over+"\n"+over+"\r\n"+"ok\n"+over), max)
	if len(lines) != 6 {
		t.Fatalf("%d lines: %+v", len(lines), lines)
	}
	for i, tooLong := range []bool{false, false, true, true, false, true} {
		if lines[i].TooLong != tooLong {
			t.Errorf("line %d (%q): too long %v, want %v", i+1, lines[i].Data, lines[i].TooLong, tooLong)
		}
	}
	if string(lines[1].Data) != exact || lines[1].Length != int64(max) {
		t.Errorf("CRLF line of the bound: %q length %d", lines[1].Data, lines[1].Length)
	}
	if lines[3].Length != int64(max+1) || lines[3].Size != int64(max+3) {
		t.Errorf("too long CRLF line: length %d size %d", lines[3].Length, lines[3].Size)
	}
	if string(lines[4].Data) != "ok" || lines[4].Offset != int64(2*max+1+2+max+1+1+max+1+2) {
		t.Errorf("line after the long ones: %q at %d", lines[4].Data, lines[4].Offset)
	}
}

// repeatReader yields n copies of b without holding them.
type repeatReader struct {
	b byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), r.n))
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= int64(k)
	return k, nil
}

// TestLineReaderDropsALongLineWithoutHoldingIt reads a 10 MB line and checks that the reader
// allocated far less than the line: it was read to its end and dropped, not held. Not parallel,
// so no other test's allocations are counted.
func TestLineReaderDropsALongLineWithoutHoldingIt(t *testing.T) {
	const long = 10 << 20
	r := io.MultiReader(strings.NewReader("first\n"), &repeatReader{b: 'z', n: long}, strings.NewReader("\nafter\n"))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	lr := NewLineReader(r, 0, MaxLineBytes)
	var got []RawLine
	for {
		l, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, RawLine{Data: bytes.Clone(l.Data[:min(len(l.Data), 16)]), Offset: l.Offset, Size: l.Size, Length: l.Length, TooLong: l.TooLong})
	}
	runtime.ReadMemStats(&after)
	if len(got) != 3 || !got[1].TooLong || got[1].Length != long || string(got[2].Data) != "after" || got[2].Offset != 6+long+1 {
		t.Fatalf("lines: %+v", got)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3<<20 {
		t.Fatalf("reading a %d-byte line allocated %d bytes; the reader holds more than its bound", long, alloc)
	}
}

// ---------------------------------------------------------------------------------------------
// Ingesting against a real database

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
		{7, "quantity must be between 1 and 100000, got -4"},
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
	if err := GenerateFile(&file, 1000, f.products, 7); err != nil {
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

// TestSameFileTwiceChangesNothing: the same content is the same batch, before and after its
// ingest, and ingesting it again counts nothing.
func TestSameFileTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 3)
	var file bytes.Buffer
	if err := GenerateFile(&file, 300, f.products, 11); err != nil {
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

// BenchmarkIngestChunk measures ingesting a generated file of 20,000 order lines in chunks of
// 5,000, database included (one fresh batch per iteration).
func BenchmarkIngestChunk(b *testing.B) {
	f := newBenchFixture(b)
	var file bytes.Buffer
	for i := 0; b.Loop(); i++ {
		file.Reset()
		if err := GenerateFile(&file, 20_000, f.products, int64(i)); err != nil {
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
