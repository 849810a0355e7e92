package ingest

import (
	"context"
	"fmt"
	"io"
	"os"

	"shopflow/errs"
	"shopflow/store"
)

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
