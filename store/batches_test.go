package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"shopflow/errs"
	"shopflow/store"
)

func newBatch(content string) store.NewBatch {
	sum := sha256.Sum256([]byte(content))
	h := hex.EncodeToString(sum[:])
	return store.NewBatch{SHA256: h, Filename: "orders.csv", Format: "csv", Path: "batches/" + h + ".csv", SizeBytes: 1000, SubmittedBy: "test"}
}

// TestRegisterBatchOncePerContent: concurrent registrations of the same content make one batch.
func TestRegisterBatchOncePerContent(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 8)
	ctx := context.Background()
	nb := newBatch("a")
	var mu sync.Mutex
	ids := map[string]bool{}
	created := 0
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			b, c, err := f.st.RegisterBatch(ctx, nb)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[b.ID] = true
			if c {
				created++
			}
		})
	}
	wg.Wait()
	if len(ids) != 1 || created != 1 {
		t.Fatalf("%d batches, %d created; want one", len(ids), created)
	}
	other, c, err := f.st.RegisterBatch(ctx, newBatch("b"))
	if err != nil || !c || ids[other.ID] || other.Status != store.BatchQueued {
		t.Fatalf("other content: %+v %v %v", other, c, err)
	}
	queued, err := f.st.QueuedBatches(ctx, 10)
	if err != nil || len(queued) != 2 {
		t.Fatalf("queued: %d %v", len(queued), err)
	}
	if _, err := f.st.BatchByID(ctx, "not-a-uuid"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("malformed id: %v", err)
	}
}

// TestCommitBatchChunkIsAtomic: a chunk's sales and its progress commit together or not at all,
// and only from the offset the batch is at.
func TestCommitBatchChunkIsAtomic(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 500, 0)
	b, _, err := f.st.RegisterBatch(ctx, newBatch("chunks"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	sale := func(order string, currency string) store.SaleLine {
		return store.SaleLine{Source: "file", ExternalOrderID: order, LineNo: 1, OrderedAt: at, ProductID: p, Quantity: 2, UnitPriceCents: 100, Currency: currency}
	}

	// A chunk whose sales cannot be written (a currency the facts refuse) leaves no trace.
	_, err = f.st.CommitBatchChunk(ctx, store.BatchChunk{BatchID: b.ID, FromOffset: 0, ToOffset: 400, LinesRead: 10, Rejected: 1,
		Sales: []store.SaleLine{sale("F-1", "USD"), sale("F-2", "usd")}})
	if err == nil {
		t.Fatal("a chunk with an unwritable sale committed")
	}
	if got, _ := f.st.BatchByID(ctx, b.ID); got.OffsetBytes != 0 || got.Status != store.BatchQueued || got.Rejected != 0 {
		t.Fatalf("after the failed chunk: %+v", got)
	}
	if n := f.count(`SELECT count(*) FROM sales_facts`); n != 0 {
		t.Fatalf("%d facts after the failed chunk", n)
	}

	got, err := f.st.CommitBatchChunk(ctx, store.BatchChunk{BatchID: b.ID, FromOffset: 0, ToOffset: 400, LinesRead: 10, Rejected: 1,
		Sales: []store.SaleLine{sale("F-1", "USD"), sale("F-2", "USD"), sale("F-2", "USD")}})
	if err != nil {
		t.Fatal(err)
	}
	if got.OffsetBytes != 400 || got.LinesRead != 10 || got.Accepted != 2 || got.Duplicates != 1 || got.Rejected != 1 || got.Status != store.BatchRunning {
		t.Fatalf("after the chunk: %+v", got)
	}
	// The same chunk again (a retry that overtook a slow attempt) is a conflict, and counts nothing.
	if _, err := f.st.CommitBatchChunk(ctx, store.BatchChunk{BatchID: b.ID, FromOffset: 0, ToOffset: 400, LinesRead: 10,
		Sales: []store.SaleLine{sale("F-3", "USD")}}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("repeated chunk: %v", err)
	}
	if n := f.count(`SELECT count(*) FROM sales_facts`); n != 2 {
		t.Fatalf("%d facts, want 2", n)
	}

	// Not read to its end: not completable.
	if _, err := f.st.CompleteBatch(ctx, b.ID, "errors/x/errors.ndjson"); !errs.Is(err, errs.Conflict) {
		t.Fatalf("completing a half-read batch: %v", err)
	}
	got, err = f.st.CommitBatchChunk(ctx, store.BatchChunk{BatchID: b.ID, FromOffset: 400, ToOffset: 1000, LinesRead: 25})
	if err != nil || got.OffsetBytes != 1000 {
		t.Fatalf("last chunk: %+v %v", got, err)
	}
	done, err := f.st.CompleteBatch(ctx, b.ID, "errors/x/errors.ndjson")
	if err != nil || done.Status != store.BatchCompleted || done.ErrorPath != "errors/x/errors.ndjson" || done.FinishedAt == nil {
		t.Fatalf("completed: %+v %v", done, err)
	}
	// A completed batch neither fails nor takes more chunks.
	if err := f.st.FailBatch(ctx, b.ID, "late failure"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CommitBatchChunk(ctx, store.BatchChunk{BatchID: b.ID, FromOffset: 1000, ToOffset: 1000}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("chunk after completion: %v", err)
	}
	if got, _ := f.st.BatchByID(ctx, b.ID); got.Status != store.BatchCompleted || got.Failure != "" {
		t.Fatalf("after a late failure: %+v", got)
	}
	if queued, _ := f.st.QueuedBatches(ctx, 10); len(queued) != 0 {
		t.Fatalf("queued: %+v", queued)
	}
}
