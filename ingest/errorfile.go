package ingest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"shopflow/store"
)

// Rejection is one entry of a batch's error file: a line that was not counted, and why.
type Rejection struct {
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
	// Text is the start of the line as it was in the file.
	Text      string `json:"text"`
	Truncated bool   `json:"truncated,omitempty"`
}

// errorDir is where a batch's error files live, relative to Files.Dir.
func errorDir(batchID string) string { return path.Join("errors", batchID) }

// ErrorFile is the path, relative to Files.Dir, of a completed batch's error file.
func ErrorFile(batchID string) string { return path.Join(errorDir(batchID), "errors.ndjson") }

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
	return writeFileAtomically(name, func(w io.Writer) error { return writeRejections(w, f, rejects) })
}

// writeRejections writes one error entry per rejection to w, quoting the start of each line
// from f.
func writeRejections(w io.Writer, f io.ReaderAt, rejects []rejected) error {
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
