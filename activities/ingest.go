package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"shopflow/errs"
	"shopflow/ingest"
	"shopflow/store"
)

// Ingest holds the dependencies of batch ingest: reading stored order files a chunk at a time,
// and taking the files dropped in the inbox into batch storage.
type Ingest struct {
	Batches *ingest.Batches
	Store   *store.Store
	Files   ingest.Files
	// Inbox is the directory swept for order files; processed/ and rejected/ are made in it.
	Inbox string
	// InboxSettle is how long a file must have been left unmodified before the sweep takes it,
	// so a file still being copied in is left for the next sweep.
	InboxSettle time.Duration
	Now         func() time.Time
}

// ErrTypeBatchUnusable is the failure type of a batch whose file cannot be ingested (missing,
// changed, or a CSV file with a bad header row): retrying cannot help.
const ErrTypeBatchUnusable = "BatchUnusable"

// Inbox subdirectories.
const (
	InboxProcessed = "processed"
	InboxRejected  = "rejected"
)

func (a *Ingest) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// IngestChunkInput names the batch whose next chunk to ingest.
type IngestChunkInput struct {
	BatchID string
}

// IngestChunkResult is the batch's progress after the chunk; Done when the file is all read.
type IngestChunkResult struct {
	Done        bool
	OffsetBytes int64
	SizeBytes   int64
	LinesRead   int64
	Accepted    int64
	Duplicates  int64
	Rejected    int64
}

// IngestChunk ingests the batch's next chunk and commits it with the batch's progress. It
// heartbeats as it reads; a retry after a crash starts again at the last committed chunk.
func (a *Ingest) IngestChunk(ctx context.Context, in IngestChunkInput) (IngestChunkResult, error) {
	defer keepAlive(ctx, 10*time.Second)()
	res, err := a.Batches.IngestChunk(ctx, in.BatchID, func(p ingest.Progress) { heartbeat(ctx, p.LinesRead) })
	if err != nil {
		return IngestChunkResult{}, batchError(err)
	}
	b := res.Batch
	return IngestChunkResult{Done: res.Done, OffsetBytes: b.OffsetBytes, SizeBytes: b.SizeBytes, LinesRead: b.LinesRead,
		Accepted: b.Accepted, Duplicates: b.Duplicates, Rejected: b.Rejected}, nil
}

// FinishIngestInput names a fully read batch.
type FinishIngestInput struct {
	BatchID string
}

// FinishIngestResult is a completed batch's final counts.
type FinishIngestResult struct {
	LinesRead  int64
	Accepted   int64
	Duplicates int64
	Rejected   int64
	// ErrorPath is the error file, relative to the ingest directory.
	ErrorPath string
}

// FinishIngest joins the batch's chunk error files into its error file and marks it completed.
func (a *Ingest) FinishIngest(ctx context.Context, in FinishIngestInput) (FinishIngestResult, error) {
	b, err := a.Batches.Complete(ctx, in.BatchID)
	if err != nil {
		return FinishIngestResult{}, batchError(err)
	}
	return FinishIngestResult{LinesRead: b.LinesRead, Accepted: b.Accepted, Duplicates: b.Duplicates, Rejected: b.Rejected,
		ErrorPath: b.ErrorPath}, nil
}

// FailIngestInput says why a batch failed.
type FailIngestInput struct {
	BatchID string
	Reason  string
}

// FailIngestResult is empty: it is there so fields can be added without changing the
// activity's signature. Histories recorded before it hold no result, which the workflow ignores.
type FailIngestResult struct{}

// FailIngest marks the batch failed, keeping its progress for a later resume.
func (a *Ingest) FailIngest(ctx context.Context, in FailIngestInput) (FailIngestResult, error) {
	return FailIngestResult{}, a.Store.FailBatch(ctx, in.BatchID, in.Reason)
}

// batchError makes failures that retrying cannot fix non-retryable.
func batchError(err error) error {
	if errors.Is(err, ingest.ErrUnusableBatch) || errs.Is(err, errs.NotFound) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeBatchUnusable, err)
	}
	return err
}

// heartbeat records progress when running as an activity (tests call the methods directly).
func heartbeat(ctx context.Context, details ...any) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, details...)
	}
}

// keepAlive heartbeats every interval until stopped, so a long commit is not taken for a dead
// worker, while a worker that really dies stops heartbeating and its chunk is soon retried
// elsewhere.
func keepAlive(ctx context.Context, every time.Duration) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}

// ListInboxInput bounds one sweep of the inbox.
type ListInboxInput struct {
	Limit int
}

// ListInboxResult names the files waiting in the inbox, in name order.
type ListInboxResult struct {
	Files []string
}

// ListIngestInbox lists the files in the inbox ready to be taken: not directories, not hidden
// (names starting with '.', as temporary files of a copy in progress often are), and unmodified
// for InboxSettle.
func (a *Ingest) ListIngestInbox(ctx context.Context, in ListInboxInput) (ListInboxResult, error) {
	if err := os.MkdirAll(a.Inbox, 0o750); err != nil {
		return ListInboxResult{}, fmt.Errorf("create inbox %s: %w", a.Inbox, err)
	}
	entries, err := os.ReadDir(a.Inbox)
	if err != nil {
		return ListInboxResult{}, fmt.Errorf("list inbox %s: %w", a.Inbox, err)
	}
	settled := a.now().Add(-a.InboxSettle)
	var res ListInboxResult
	for _, e := range entries {
		if len(res.Files) >= in.Limit && in.Limit > 0 {
			break
		}
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := e.Info()
		if err != nil || info.ModTime().After(settled) {
			continue // gone meanwhile, or still being written
		}
		res.Files = append(res.Files, e.Name())
	}
	return res, nil
}

// AdoptInboxFileInput names one file in the inbox.
type AdoptInboxFileInput struct {
	Name string
}

// AdoptInboxFileResult is what became of an inbox file: registered as a batch, or moved to
// rejected/ with the reason, or gone already (an earlier attempt took it).
type AdoptInboxFileResult struct {
	BatchID  string
	Created  bool
	Rejected string
	Gone     bool
}

// AdoptInboxFile stores an inbox file as a batch (the same path as the API's and the CLI's)
// and moves the original to processed/. A file that cannot be ingested (unknown extension,
// unreadable, empty, a CSV file without its header row) goes to rejected/, with a .reason.txt
// beside it. A retry after a crash stores the same content again: the same batch.
func (a *Ingest) AdoptInboxFile(ctx context.Context, in AdoptInboxFileInput) (AdoptInboxFileResult, error) {
	if in.Name != filepath.Base(in.Name) || !filepath.IsLocal(in.Name) {
		return AdoptInboxFileResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("inbox file name %q is not a plain name", in.Name), ErrTypeBatchUnusable, nil)
	}
	src := filepath.Join(a.Inbox, in.Name)
	if _, err := os.Lstat(src); errors.Is(err, fs.ErrNotExist) {
		return AdoptInboxFileResult{Gone: true}, nil
	}
	format, ok := ingest.FormatOfName(in.Name)
	if !ok {
		return a.rejectInboxFile(in.Name, "unknown extension: inbox files must end in .csv, .ndjson or .jsonl")
	}
	f, err := os.Open(src)
	if err != nil {
		return a.rejectInboxFile(in.Name, fmt.Sprintf("cannot be read: %v", err))
	}
	defer f.Close()
	batch, created, err := ingest.Submit(ctx, a.Store, a.Files, ingest.Submission{
		Filename: in.Name, Format: format, Body: &heartbeatReader{ctx: ctx, r: f}, SubmittedBy: "inbox",
	})
	switch errs.CodeOf(err) {
	case "":
	case errs.Invalid, errs.Unprocessable, errs.TooLarge:
		return a.rejectInboxFile(in.Name, err.Error())
	default:
		return AdoptInboxFileResult{}, fmt.Errorf("store inbox file %s: %w", in.Name, err)
	}
	if err := a.moveInboxFile(in.Name, InboxProcessed); err != nil {
		return AdoptInboxFileResult{}, err
	}
	return AdoptInboxFileResult{BatchID: batch.ID, Created: created}, nil
}

// rejectInboxFile moves a file to rejected/ and writes why beside it.
func (a *Ingest) rejectInboxFile(name, reason string) (AdoptInboxFileResult, error) {
	moved := a.stamped(name)
	dir := filepath.Join(a.Inbox, InboxRejected)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return AdoptInboxFileResult{}, fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, moved+".reason.txt"), []byte(reason+"\n"), 0o640); err != nil {
		return AdoptInboxFileResult{}, fmt.Errorf("write reason for rejected inbox file %s: %w", name, err)
	}
	if err := os.Rename(filepath.Join(a.Inbox, name), filepath.Join(dir, moved)); err != nil {
		return AdoptInboxFileResult{}, fmt.Errorf("move rejected inbox file %s: %w", name, err)
	}
	return AdoptInboxFileResult{Rejected: reason}, nil
}

// moveInboxFile moves a file into one of the inbox's subdirectories, under a time-stamped
// name so files of the same name dropped on different days stay apart.
func (a *Ingest) moveInboxFile(name, sub string) error {
	dir := filepath.Join(a.Inbox, sub)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.Rename(filepath.Join(a.Inbox, name), filepath.Join(dir, a.stamped(name))); err != nil {
		return fmt.Errorf("move inbox file %s to %s: %w", name, sub, err)
	}
	return nil
}

func (a *Ingest) stamped(name string) string {
	return a.now().UTC().Format("20060102T150405.000000000Z") + "-" + name
}

// QueuedIngestsInput bounds the list.
type QueuedIngestsInput struct {
	Limit int
}

// QueuedIngestsResult names batches waiting for their workflow, oldest first.
type QueuedIngestsResult struct {
	BatchIDs []string
}

// QueuedIngests lists the batches registered but not started: those just taken from the inbox,
// and any whose start failed (Temporal down when the API or the CLI submitted them).
func (a *Ingest) QueuedIngests(ctx context.Context, in QueuedIngestsInput) (QueuedIngestsResult, error) {
	batches, err := a.Store.QueuedBatches(ctx, in.Limit)
	if err != nil {
		return QueuedIngestsResult{}, err
	}
	var res QueuedIngestsResult
	for _, b := range batches {
		res.BatchIDs = append(res.BatchIDs, b.ID)
	}
	return res, nil
}

// heartbeatReader heartbeats every few megabytes while a large file is copied.
type heartbeatReader struct {
	ctx  context.Context
	r    io.Reader
	read int64
	next int64
}

func (h *heartbeatReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.read += int64(n)
	if h.read >= h.next {
		heartbeat(h.ctx, h.read)
		h.next = h.read + 8<<20
	}
	return n, err
}
