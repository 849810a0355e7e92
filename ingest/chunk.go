package ingest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"time"

	"shopflow/errs"
	"shopflow/store"
)

// Order files of any size are ingested in chunks. A file is stored once, under its content hash,
// and registered as a batch; the batch row holds how far the file has been read, and each chunk
// commits its sales together with the new offset in one transaction. So a worker that dies
// mid-file resumes at the last committed chunk and counts nothing twice, and memory depends on
// the chunk size, never on the file's.

// Batches ingests stored batch files a chunk at a time.
type Batches struct {
	Store *store.Store
	Files Files
	// ChunkLines bounds the lines one chunk reads; ChunkBytes its bytes (DefaultChunkBytes
	// when zero).
	ChunkLines int
	ChunkBytes int64
	// Now is the clock order times are checked against; time.Now when nil.
	Now func() time.Time
}

// ErrUnusableBatch marks failures retrying cannot fix: the stored file is missing or changed,
// or a CSV file's header row is wrong. The batch fails; submitting the file again resumes it.
var ErrUnusableBatch = errors.New("batch file cannot be ingested")

// Progress is how far a chunk has read, reported while it runs.
type Progress struct {
	BatchID   string
	LinesRead int64
}

// ChunkResult is the batch after a chunk, and whether the whole file is now read.
type ChunkResult struct {
	Batch store.Batch
	Done  bool
}

// chunkRecord is one order line (CSV) or order (NDJSON) of a chunk, waiting for the product
// check; its sale lines are sales[from:to].
type chunkRecord struct {
	line           int64
	from, to       int
	offset, length int64
}

// rejected is a rejected line, before its error entry is written; length counts the bytes of
// the line before its ending.
type rejected struct {
	line           int64
	offset, length int64
	reason         string
}

// IngestChunk reads the batch's next chunk from where the last one ended, and commits its
// valid lines as sales together with the new offset and counts, in one transaction. Lines
// that cannot count are written, with their line number and reason, to the chunk's error file
// before the commit. Running it again after a crash redoes only the chunk that did not commit.
func (b *Batches) IngestChunk(ctx context.Context, batchID string, progress func(Progress)) (ChunkResult, error) {
	batch, err := b.Store.BatchByID(ctx, batchID)
	if err != nil {
		return ChunkResult{}, err
	}
	if batch.Status == store.BatchCompleted || batch.OffsetBytes >= batch.SizeBytes {
		return ChunkResult{Batch: batch, Done: true}, nil
	}
	f, err := b.openBatchFile(batch)
	if err != nil {
		return ChunkResult{}, err
	}
	defer f.Close()

	parse, err := b.parser(batch, f)
	if err != nil {
		return ChunkResult{}, err
	}
	if _, err := f.Seek(batch.OffsetBytes, io.SeekStart); err != nil {
		return ChunkResult{}, fmt.Errorf("seek batch %s to byte %d: %w", batch.ID, batch.OffsetBytes, err)
	}
	c, err := b.readChunk(batch, NewLineReader(f, batch.OffsetBytes, MaxLineBytes), parse, progress)
	if err != nil {
		return ChunkResult{}, err
	}
	sales, rejects, err := b.dropUnknownProducts(ctx, batch.Format, c.records, c.sales, c.rejects)
	if err != nil {
		return ChunkResult{}, err
	}
	if len(rejects) > 0 {
		slices.SortFunc(rejects, func(x, y rejected) int { return cmp.Compare(x.line, y.line) })
		if err := b.writeChunkErrors(f, batch.ID, batch.OffsetBytes, rejects); err != nil {
			return ChunkResult{}, err
		}
	}
	if progress != nil {
		progress(Progress{BatchID: batch.ID, LinesRead: c.linesRead})
	}
	committed, err := b.Store.CommitBatchChunk(ctx, store.BatchChunk{
		BatchID: batch.ID, FromOffset: batch.OffsetBytes, ToOffset: c.end,
		LinesRead: c.linesRead, Rejected: int64(len(rejects)), Sales: sales,
	})
	if errs.Is(err, errs.Conflict) {
		// Another run of this chunk committed first (a retry overtook a slow attempt): its
		// result stands, and the next chunk starts from it.
		if committed, err = b.Store.BatchByID(ctx, batch.ID); err != nil {
			return ChunkResult{}, err
		}
	} else if err != nil {
		return ChunkResult{}, err
	}
	return ChunkResult{Batch: committed, Done: committed.OffsetBytes >= committed.SizeBytes}, nil
}

// chunk is what one chunk read: the records that parsed with their sale lines, the lines
// rejected so far, how many lines of the file have been read in all, and where the chunk ends.
type chunk struct {
	records   []chunkRecord
	sales     []store.SaleLine
	rejects   []rejected
	linesRead int64
	end       int64
}

// readChunk reads lines from lr, which starts at the batch's offset, until the chunk's line or
// byte limit or the end of the file, parsing each with parse.
func (b *Batches) readChunk(batch store.Batch, lr *LineReader, parse func([]byte) ([]store.SaleLine, error),
	progress func(Progress)) (chunk, error) {
	c := chunk{linesRead: batch.LinesRead}
	chunkLines, chunkBytes := b.chunkLimits()
	for n := 0; n < chunkLines && lr.Offset()-batch.OffsetBytes < chunkBytes; n++ {
		raw, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return chunk{}, fmt.Errorf("batch %s: %w", batch.ID, err)
		}
		c.linesRead++
		lineNo := c.linesRead
		if n%progressEvery == 0 && progress != nil {
			progress(Progress{BatchID: batch.ID, LinesRead: lineNo})
		}
		if lineNo == 1 && batch.Format == string(FormatCSV) {
			continue // the header row, read already
		}
		if raw.TooLong {
			c.rejects = append(c.rejects, rejected{line: lineNo, offset: raw.Offset, length: raw.Length,
				reason: fmt.Sprintf("line too long: more than %d bytes", MaxLineBytes)})
			continue
		}
		if raw.Offset == 0 {
			// Some tools start any UTF-8 file with a byte-order mark; it is no part of the first
			// record (for CSV files, the header row, which readCSVHeader strips the same way).
			raw.Data = bytes.TrimPrefix(raw.Data, utf8BOM)
		}
		if len(bytes.TrimSpace(raw.Data)) == 0 {
			continue // blank lines carry nothing
		}
		lines, err := parse(raw.Data)
		if err != nil {
			c.rejects = append(c.rejects, rejected{line: lineNo, offset: raw.Offset, length: raw.Length, reason: err.Error()})
			continue
		}
		c.records = append(c.records, chunkRecord{line: lineNo, from: len(c.sales), to: len(c.sales) + len(lines),
			offset: raw.Offset, length: raw.Length})
		c.sales = append(c.sales, lines...)
	}
	c.end = lr.Offset()
	return c, nil
}

func (b *Batches) chunkLimits() (int, int64) {
	lines, size := b.ChunkLines, b.ChunkBytes
	if lines <= 0 {
		lines = 50_000
	}
	if size <= 0 {
		size = DefaultChunkBytes
	}
	return lines, size
}

func (b *Batches) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// openBatchFile opens the batch's stored file and checks it is the file that was registered.
func (b *Batches) openBatchFile(batch store.Batch) (*os.File, error) {
	p, err := b.Files.Abs(batch.Path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnusableBatch, err)
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: stored file %s is missing; submit the file again", ErrUnusableBatch, batch.Path)
	}
	if err != nil {
		return nil, fmt.Errorf("open batch %s file: %w", batch.ID, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat batch %s file: %w", batch.ID, err)
	}
	if info.Size() != batch.SizeBytes {
		f.Close()
		return nil, fmt.Errorf("%w: stored file %s has %d bytes, %d were registered; submit the file again",
			ErrUnusableBatch, batch.Path, info.Size(), batch.SizeBytes)
	}
	return f, nil
}

// parser returns the function turning one line of the batch's format into sale lines.
func (b *Batches) parser(batch store.Batch, f io.ReadSeeker) (func([]byte) ([]store.SaleLine, error), error) {
	now := b.now()
	switch Format(batch.Format) {
	case FormatCSV:
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("seek batch %s: %w", batch.ID, err)
		}
		h, err := readCSVHeader(f)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnusableBatch, err)
		}
		return func(line []byte) ([]store.SaleLine, error) {
			l, err := h.parseRow(line, now)
			return []store.SaleLine{l}, err
		}, nil
	case FormatNDJSON:
		return func(line []byte) ([]store.SaleLine, error) { return parseNDJSONLine(line, now) }, nil
	}
	return nil, fmt.Errorf("%w: unknown format %q", ErrUnusableBatch, batch.Format)
}

// dropUnknownProducts rejects the records naming a product that does not exist, with one query
// for the whole chunk, and returns the sale lines of the others.
func (b *Batches) dropUnknownProducts(ctx context.Context, format string, records []chunkRecord, sales []store.SaleLine,
	rejects []rejected) ([]store.SaleLine, []rejected, error) {
	ids := make([]int64, 0, len(sales))
	for _, s := range sales {
		ids = append(ids, s.ProductID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	known, err := b.Store.ExistingProducts(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	kept := sales[:0]
	for _, r := range records {
		reason := ""
		for i := r.from; i < r.to && reason == ""; i++ {
			if !known[sales[i].ProductID] {
				reason = unknownProductReason(format, sales[i])
			}
		}
		if reason != "" {
			rejects = append(rejects, rejected{line: r.line, offset: r.offset, length: r.length, reason: reason})
			continue
		}
		kept = append(kept, sales[r.from:r.to]...) // never overtakes r.from: safe in place
	}
	return kept, rejects, nil
}

func unknownProductReason(format string, s store.SaleLine) string {
	if format == string(FormatCSV) {
		return fmt.Sprintf("product_id %d does not exist", s.ProductID)
	}
	return fmt.Sprintf("lines[%d].product_id %d does not exist", s.LineNo-1, s.ProductID)
}
