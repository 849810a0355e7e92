package ingest

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"shopflow/errs"
	"shopflow/store"
)

// Order files of any size are ingested in chunks. A file is stored once, under its content hash,
// and registered as a batch; the batch row holds how far the file has been read, and each chunk
// commits its sales together with the new offset in one transaction. So a worker that dies
// mid-file resumes at the last committed chunk and counts nothing twice, and memory depends on
// the chunk size, never on the file's.

// Format is the format of an order file.
type Format string

// The formats of order files (see docs/INGEST.md).
const (
	FormatCSV    Format = "csv"
	FormatNDJSON Format = "ndjson"
)

// Limits on order files.
const (
	// MaxLineBytes is the longest line read; a longer one is rejected without being held in
	// memory.
	MaxLineBytes = 1 << 20
	// MaxFileBytes is the largest file accepted.
	MaxFileBytes = 10 << 30
	// DefaultChunkBytes caps the bytes one chunk reads, so that a chunk of long lines (NDJSON
	// orders of many lines) stays as small in memory as a chunk of short ones.
	DefaultChunkBytes = 16 << 20
	// excerptBytes is how much of a rejected line its error entry quotes.
	excerptBytes = 512
	// readBufferBytes is the read buffer of a line reader, and the longest line it reads
	// without allocating a buffer for the longest line allowed.
	readBufferBytes = 64 << 10
	// progressEvery is how many lines a chunk reads between two progress reports.
	progressEvery = 1000
)

// FormatOfName is the format a file name's extension says: .csv, or .ndjson or .jsonl.
func FormatOfName(name string) (Format, bool) {
	switch strings.ToLower(path.Ext(strings.ReplaceAll(name, `\`, "/"))) {
	case ".csv":
		return FormatCSV, true
	case ".ndjson", ".jsonl":
		return FormatNDJSON, true
	}
	return "", false
}

// FormatOfContentType is the format a media type names: text/csv, or application/x-ndjson and
// its aliases.
func FormatOfContentType(mediaType string) (Format, bool) {
	switch strings.ToLower(mediaType) {
	case "text/csv", "application/csv":
		return FormatCSV, true
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines":
		return FormatNDJSON, true
	}
	return "", false
}

// ---------------------------------------------------------------------------------------------
// Storage

// Files is the directory holding batch files, <Dir>/batches/<sha256>.<format>, and their error
// files, <Dir>/errors/<batch id>/. Paths kept in the database are relative to Dir, so the API,
// the CLI and workers may mount it at different places.
type Files struct {
	Dir string
}

// StoredFile is an order file saved under its content hash.
type StoredFile struct {
	SHA256 string
	Path   string // relative to Files.Dir
	Size   int64
}

// Save copies r into batch storage (a temporary name first, then renamed, so a file under its
// final name is always whole), hashing it on the way. At most limit bytes are read: a longer
// input fails with a too_large error. An empty input is refused.
func (f Files) Save(r io.Reader, format Format, limit int64) (StoredFile, error) {
	dir := filepath.Join(f.Dir, "batches")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return StoredFile{}, fmt.Errorf("create batch storage: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return StoredFile{}, fmt.Errorf("create batch file: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name()) // gone already once renamed
	}()
	h := sha256.New()
	src := &sourceReader{r: io.LimitReader(r, limit+1)}
	n, err := io.Copy(io.MultiWriter(tmp, h), src)
	switch {
	case src.err != nil:
		return StoredFile{}, readError(src.err) // the client's side
	case err != nil:
		return StoredFile{}, fmt.Errorf("write batch file: %w", err) // ours: a full disk, say
	case n > limit:
		return StoredFile{}, errs.E(errs.TooLarge, "the file is larger than %d bytes", limit)
	case n == 0:
		return StoredFile{}, errs.E(errs.Invalid, "the file is empty")
	}
	if err := tmp.Sync(); err != nil {
		return StoredFile{}, fmt.Errorf("write batch file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return StoredFile{}, fmt.Errorf("write batch file: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	rel := path.Join("batches", sum+"."+string(format))
	if err := os.Rename(tmp.Name(), filepath.Join(f.Dir, filepath.FromSlash(rel))); err != nil {
		return StoredFile{}, fmt.Errorf("store batch file: %w", err)
	}
	return StoredFile{SHA256: sum, Path: rel, Size: n}, nil
}

// sourceReader remembers a read error, to tell the submitter's failures from storage's.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		s.err = err
	}
	return n, err
}

// readError classifies a failure reading a submitted file: over an HTTP body limit is too large.
func readError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errs.Wrap(err, errs.TooLarge, "the file is larger than %d bytes", tooLarge.Limit)
	}
	return errs.Wrap(err, errs.Invalid, "could not read the file")
}

// Abs is the absolute location of a path kept in the database. Only paths inside Dir are
// accepted, so a tampered row cannot point the worker or the API anywhere else.
func (f Files) Abs(rel string) (string, error) {
	if !filepath.IsLocal(filepath.FromSlash(rel)) {
		return "", fmt.Errorf("batch path %q is not inside the ingest directory", rel)
	}
	return filepath.Join(f.Dir, filepath.FromSlash(rel)), nil
}

// errorDir is where a batch's error files live, relative to Files.Dir.
func errorDir(batchID string) string { return path.Join("errors", batchID) }

// ErrorFile is the path, relative to Files.Dir, of a completed batch's error file.
func ErrorFile(batchID string) string { return path.Join(errorDir(batchID), "errors.ndjson") }

// Submission is an order file handed in through the API, the CLI or the inbox.
type Submission struct {
	Filename    string
	Format      Format
	Body        io.Reader
	SubmittedBy string
	// Limit caps the bytes read from Body; zero means MaxFileBytes.
	Limit int64
}

// Submit stores the file and registers it as a batch, the one way in for every path. The same
// content submitted again is the same batch (created is false), and nothing in it is counted
// again; a batch that had failed is queued again, to resume where it stopped. A CSV file without
// its header row is refused here, before anything is registered.
func Submit(ctx context.Context, st *store.Store, files Files, s Submission) (batch store.Batch, created bool, err error) {
	limit := s.Limit
	if limit <= 0 {
		limit = MaxFileBytes
	}
	if s.Format != FormatCSV && s.Format != FormatNDJSON {
		return store.Batch{}, false, errs.E(errs.Unprocessable, "format must be csv or ndjson, got %q", s.Format)
	}
	saved, err := files.Save(s.Body, s.Format, limit)
	if err != nil {
		return store.Batch{}, false, err
	}
	if s.Format == FormatCSV {
		if err := checkStoredHeader(files, saved.Path); err != nil {
			// Nothing registered can have this content: it would have failed the same way.
			if p, perr := files.Abs(saved.Path); perr == nil {
				_ = os.Remove(p)
			}
			return store.Batch{}, false, err
		}
	}
	return st.RegisterBatch(ctx, store.NewBatch{SHA256: saved.SHA256, Filename: s.Filename, Format: string(s.Format),
		Path: saved.Path, SizeBytes: saved.Size, SubmittedBy: s.SubmittedBy})
}

func checkStoredHeader(files Files, rel string) error {
	p, err := files.Abs(rel)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("open stored batch file: %w", err)
	}
	defer f.Close()
	if _, err := readCSVHeader(f); err != nil {
		return errs.Wrap(err, errs.Unprocessable, "%v", err)
	}
	return nil
}

// ---------------------------------------------------------------------------------------------
// Reading lines

// LineReader reads lines with a bound on their length. A line longer than the bound is read to
// its end and dropped, keeping only its start, so memory never depends on the input.
type LineReader struct {
	r   *bufio.Reader
	max int
	off int64
	buf []byte
}

// RawLine is one line of a file.
type RawLine struct {
	// Data is the line without its ending (\n or \r\n), valid until the next call to Next; for
	// a line too long, only its first bytes.
	Data []byte
	// Offset is where the line starts in the file; Size counts its bytes, ending included, and
	// Length those before the ending.
	Offset, Size, Length int64
	// TooLong says the line held more than the reader's bound.
	TooLong bool
}

// NewLineReader reads lines of at most max bytes from r, whose first byte is at offset in
// the file.
func NewLineReader(r io.Reader, offset int64, max int) *LineReader {
	return &LineReader{r: bufio.NewReaderSize(r, readBufferBytes), max: max, off: offset}
}

// Offset is where the next line starts.
func (lr *LineReader) Offset() int64 { return lr.off }

// Next returns the next line; at the end of the input it returns io.EOF. A last line without
// a newline is a line.
func (lr *LineReader) Next() (RawLine, error) {
	lr.buf = lr.buf[:0]
	keep := lr.max + 2 // room for \r\n, so a line of exactly max bytes is whole
	var size int64
	var last, beforeNewline byte
	ended := false
	for {
		frag, err := lr.r.ReadSlice('\n')
		size += int64(len(frag))
		if room := keep - len(lr.buf); room > 0 {
			frag := frag[:min(room, len(frag))]
			if need := len(lr.buf) + len(frag); need > cap(lr.buf) && need > readBufferBytes {
				// A line longer than the read buffer: make room for the longest kept line at
				// once, rather than by appends that would allocate several times as much.
				lr.buf = append(make([]byte, 0, keep), lr.buf...)
			}
			lr.buf = append(lr.buf, frag...)
		}
		if err == nil {
			ended = true
			beforeNewline = last
			if len(frag) >= 2 {
				beforeNewline = frag[len(frag)-2]
			}
			break
		}
		if len(frag) > 0 {
			last = frag[len(frag)-1]
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if size == 0 {
				return RawLine{}, io.EOF
			}
			break
		}
		return RawLine{}, fmt.Errorf("read line at byte %d: %w", lr.off+size, err)
	}
	line := RawLine{Offset: lr.off, Size: size, Length: size}
	lr.off += size
	if ended {
		line.Length--
		if beforeNewline == '\r' {
			line.Length--
		}
	}
	if line.Length > int64(lr.max) {
		line.TooLong = true
		line.Data = lr.buf[:min(len(lr.buf), excerptBytes)]
		return line, nil
	}
	line.Data = lr.buf[:line.Length]
	return line, nil
}

// ---------------------------------------------------------------------------------------------
// Ingesting a batch chunk by chunk

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

// Rejection is one entry of a batch's error file: a line that was not counted, and why.
type Rejection struct {
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
	// Text is the start of the line as it was in the file.
	Text      string `json:"text"`
	Truncated bool   `json:"truncated,omitempty"`
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
	lr := NewLineReader(f, batch.OffsetBytes, MaxLineBytes)
	lineNo := batch.LinesRead
	chunkLines, chunkBytes := b.chunkLimits()
	var (
		records []chunkRecord
		sales   []store.SaleLine
		rejects []rejected
	)
	for n := 0; n < chunkLines && lr.Offset()-batch.OffsetBytes < chunkBytes; n++ {
		raw, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ChunkResult{}, fmt.Errorf("batch %s: %w", batch.ID, err)
		}
		lineNo++
		if n%progressEvery == 0 && progress != nil {
			progress(Progress{BatchID: batch.ID, LinesRead: lineNo})
		}
		if lineNo == 1 && batch.Format == string(FormatCSV) {
			continue // the header row, read already
		}
		if raw.TooLong {
			rejects = append(rejects, rejected{line: lineNo, offset: raw.Offset, length: raw.Length,
				reason: fmt.Sprintf("line too long: more than %d bytes", MaxLineBytes)})
			continue
		}
		if len(bytes.TrimSpace(raw.Data)) == 0 {
			continue // blank lines carry nothing
		}
		lines, err := parse(raw.Data)
		if err != nil {
			rejects = append(rejects, rejected{line: lineNo, offset: raw.Offset, length: raw.Length, reason: err.Error()})
			continue
		}
		records = append(records, chunkRecord{line: lineNo, from: len(sales), to: len(sales) + len(lines), offset: raw.Offset, length: raw.Length})
		sales = append(sales, lines...)
	}
	sales, rejects, err = b.dropUnknownProducts(ctx, batch.Format, records, sales, rejects)
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
		progress(Progress{BatchID: batch.ID, LinesRead: lineNo})
	}
	committed, err := b.Store.CommitBatchChunk(ctx, store.BatchChunk{
		BatchID: batch.ID, FromOffset: batch.OffsetBytes, ToOffset: lr.Offset(),
		LinesRead: lineNo, Rejected: int64(len(rejects)), Sales: sales,
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
func (b *Batches) parser(batch store.Batch, f *os.File) (func([]byte) ([]store.SaleLine, error), error) {
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

// chunkErrorName matches the names of chunk error files: the chunk's offset, zero-padded so
// that names sort in file order.
var chunkErrorName = regexp.MustCompile(`^[0-9]{20}\.ndjson$`)

// writeChunkErrors writes the chunk's rejections to errors/<batch>/<offset>.ndjson, quoting
// each line from the file. It writes a temporary file and renames it, so a retried chunk
// replaces its file whole and the concatenation never sees half of one.
func (b *Batches) writeChunkErrors(f *os.File, batchID string, offset int64, rejects []rejected) error {
	dir, err := b.Files.Abs(errorDir(batchID))
	if err != nil {
		return err
	}
	name := filepath.Join(dir, fmt.Sprintf("%020d.ndjson", offset))
	return writeFileAtomically(name, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		excerpt := make([]byte, excerptBytes)
		for _, r := range rejects {
			n, err := f.ReadAt(excerpt[:min(int64(excerptBytes), r.length)], r.offset)
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("quote line %d: %w", r.line, err)
			}
			e := Rejection{Line: r.line, Reason: r.reason, Text: strings.ToValidUTF8(string(excerpt[:n]), "\uFFFD"),
				Truncated: r.length > int64(n)}
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// Complete finishes a fully read batch: its chunk error files are joined, in file order, into
// errors/<batch>/errors.ndjson (empty when nothing was rejected), and the batch is marked
// completed. Completing a completed batch changes nothing.
func (b *Batches) Complete(ctx context.Context, batchID string) (store.Batch, error) {
	batch, err := b.Store.BatchByID(ctx, batchID)
	if err != nil {
		return store.Batch{}, err
	}
	if batch.Status == store.BatchCompleted {
		return batch, nil
	}
	if batch.OffsetBytes < batch.SizeBytes {
		return store.Batch{}, fmt.Errorf("complete batch %s: only %d of %d bytes read", batch.ID, batch.OffsetBytes, batch.SizeBytes)
	}
	dir, err := b.Files.Abs(errorDir(batch.ID))
	if err != nil {
		return store.Batch{}, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return store.Batch{}, fmt.Errorf("create error directory of batch %s: %w", batch.ID, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return store.Batch{}, fmt.Errorf("list error files of batch %s: %w", batch.ID, err)
	}
	var parts []string
	for _, e := range entries { // ReadDir sorts by name, which is file order
		if chunkErrorName.MatchString(e.Name()) {
			parts = append(parts, filepath.Join(dir, e.Name()))
		}
	}
	errorPath := ErrorFile(batch.ID)
	abs, err := b.Files.Abs(errorPath)
	if err != nil {
		return store.Batch{}, err
	}
	err = writeFileAtomically(abs, func(w io.Writer) error {
		for _, p := range parts {
			if err := appendFile(w, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return store.Batch{}, fmt.Errorf("join error files of batch %s: %w", batch.ID, err)
	}
	done, err := b.Store.CompleteBatch(ctx, batch.ID, errorPath)
	if err != nil {
		return store.Batch{}, err
	}
	for _, p := range parts {
		_ = os.Remove(p) // joined; a leftover is harmless
	}
	return done, nil
}

func appendFile(w io.Writer, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// writeFileAtomically writes name through a temporary file in the same directory, synced and
// then renamed, so readers see the old file or the whole new one.
func writeFileAtomically(name string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	w := bufio.NewWriterSize(tmp, 64<<10)
	if err := write(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// validOrderID refuses what DecodeOrder refuses in an order id: control characters (Postgres
// text cannot hold NUL, and no order system means a tab in an id).
func validOrderID(id string) error {
	if strings.ContainsFunc(id, unicode.IsControl) {
		return errors.New("external_order_id must not contain control characters")
	}
	return nil
}

// validUTF8 refuses a line that is not UTF-8 text.
func validUTF8(line []byte) error {
	if !utf8.Valid(line) {
		return errors.New("line is not valid UTF-8 text")
	}
	return nil
}
