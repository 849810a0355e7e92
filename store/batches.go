package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// Statuses of an ingest batch: queued when registered, running once a chunk has committed,
// then completed, or failed (submitting the file again queues it once more, to resume).
const (
	BatchQueued    = "queued"
	BatchRunning   = "running"
	BatchCompleted = "completed"
	BatchFailed    = "failed"
)

// Batch is an order file submitted for ingest, and how far its ingest has got. Paths are
// relative to the ingest directory. Accepted and Duplicates count order lines (sales counted
// now, and lines counted before by any path); Rejected counts file lines that could not count.
type Batch struct {
	ID          string
	SHA256      string
	Filename    string
	Format      string
	Path        string
	SizeBytes   int64
	Status      string
	OffsetBytes int64
	LinesRead   int64
	Accepted    int64
	Duplicates  int64
	Rejected    int64
	ErrorPath   string // set on completion
	Failure     string // why it failed, when it did
	SubmittedBy string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  *time.Time
}

const batchColumns = `id, sha256, filename, format, path, size_bytes, status, offset_bytes, lines_read, accepted, duplicates,
	rejected, coalesce(error_path, ''), coalesce(failure, ''), submitted_by, created_at, updated_at, finished_at`

func scanBatch(row pgx.Row, extra ...any) (Batch, error) {
	var b Batch
	err := row.Scan(append([]any{&b.ID, &b.SHA256, &b.Filename, &b.Format, &b.Path, &b.SizeBytes, &b.Status, &b.OffsetBytes,
		&b.LinesRead, &b.Accepted, &b.Duplicates, &b.Rejected, &b.ErrorPath, &b.Failure, &b.SubmittedBy,
		&b.CreatedAt, &b.UpdatedAt, &b.FinishedAt}, extra...)...)
	return b, err
}

// NewBatch is a stored file to register.
type NewBatch struct {
	SHA256      string
	Filename    string
	Format      string
	Path        string
	SizeBytes   int64
	SubmittedBy string
}

// RegisterBatch registers a stored file by its content hash. The same content registered again
// is the batch registered first (created is false); if that batch had failed, it is queued
// again, keeping its progress, so that starting it again resumes where it stopped.
func (s *Store) RegisterBatch(ctx context.Context, nb NewBatch) (b Batch, created bool, err error) {
	b, err = scanBatch(s.Pool.QueryRow(ctx, `
		INSERT INTO ingest_batches AS b (sha256, filename, format, path, size_bytes, submitted_by)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (sha256) DO UPDATE
		SET status = CASE WHEN b.status = 'failed' THEN 'queued' ELSE b.status END,
		    failure = CASE WHEN b.status = 'failed' THEN NULL ELSE b.failure END,
		    finished_at = CASE WHEN b.status = 'failed' THEN NULL ELSE b.finished_at END,
		    updated_at = CASE WHEN b.status = 'failed' THEN now() ELSE b.updated_at END
		RETURNING `+batchColumns+`, xmax = 0`,
		nb.SHA256, nb.Filename, nb.Format, nb.Path, nb.SizeBytes, nb.SubmittedBy), &created)
	if err != nil {
		return Batch{}, false, fmt.Errorf("register batch %s: %w", nb.SHA256, classify(err, "batch"))
	}
	return b, created, nil
}

// BatchByID returns a batch; an id that is not a UUID is not found.
func (s *Store) BatchByID(ctx context.Context, id string) (Batch, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Batch{}, errs.E(errs.NotFound, "batch not found")
	}
	b, err := scanBatch(s.Pool.QueryRow(ctx, `SELECT `+batchColumns+` FROM ingest_batches WHERE id = $1`, id))
	if err != nil {
		return Batch{}, classify(err, "batch")
	}
	return b, nil
}

// QueuedBatches lists batches registered but not yet started (or queued again after a
// failure), oldest first, so a sweep can start the workflows a failed start left out.
func (s *Store) QueuedBatches(ctx context.Context, limit int) ([]Batch, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+batchColumns+` FROM ingest_batches WHERE status = 'queued' ORDER BY created_at LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list queued batches: %w", err)
	}
	defer rows.Close()
	var out []Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, fmt.Errorf("list queued batches: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BatchChunk is one chunk of a batch file, read from FromOffset to ToOffset: its valid sale
// lines, and the batch's progress after it.
type BatchChunk struct {
	BatchID    string
	FromOffset int64
	ToOffset   int64
	// LinesRead is the number of file lines read from the start of the file to ToOffset.
	LinesRead int64
	// Rejected counts the chunk's file lines that could not count.
	Rejected int64
	Sales    []SaleLine
}

// CommitBatchChunk counts the chunk's sales and advances the batch past it, in one
// transaction, so the batch's offset always matches what has been counted. A chunk whose
// starting offset is no longer the batch's (another run of it committed first) is a conflict,
// and nothing is written.
func (s *Store) CommitBatchChunk(ctx context.Context, c BatchChunk) (Batch, error) {
	var b Batch
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var offset int64
		var status string
		err := tx.QueryRow(ctx, `SELECT offset_bytes, status FROM ingest_batches WHERE id = $1 FOR UPDATE`, c.BatchID).Scan(&offset, &status)
		if err != nil {
			return classify(err, "batch")
		}
		if offset != c.FromOffset || status == BatchCompleted {
			return errs.E(errs.Conflict, "batch %s is at byte %d (%s), not at the chunk's %d", c.BatchID, offset, status, c.FromOffset)
		}
		counted, err := RecordSalesTx(ctx, tx, c.Sales)
		if err != nil {
			return err
		}
		b, err = scanBatch(tx.QueryRow(ctx, `
			UPDATE ingest_batches
			SET status = 'running', failure = NULL, offset_bytes = $2, lines_read = $3,
			    accepted = accepted + $4, duplicates = duplicates + $5, rejected = rejected + $6, updated_at = now()
			WHERE id = $1
			RETURNING `+batchColumns,
			c.BatchID, c.ToOffset, c.LinesRead, counted, int64(len(c.Sales))-counted, c.Rejected))
		return err
	})
	if err != nil {
		return Batch{}, fmt.Errorf("commit chunk of batch %s at byte %d: %w", c.BatchID, c.FromOffset, classify(err, "batch"))
	}
	return b, nil
}

// CompleteBatch marks a fully read batch completed, with its error file. Completing it again
// changes nothing.
func (s *Store) CompleteBatch(ctx context.Context, id, errorPath string) (Batch, error) {
	b, err := scanBatch(s.Pool.QueryRow(ctx, `
		UPDATE ingest_batches
		SET status = 'completed', error_path = $2, failure = NULL, updated_at = now(), finished_at = coalesce(finished_at, now())
		WHERE id = $1 AND offset_bytes = size_bytes
		RETURNING `+batchColumns, id, errorPath))
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := s.BatchByID(ctx, id); err != nil {
			return Batch{}, err
		}
		return Batch{}, errs.E(errs.Conflict, "batch %s is not read to its end", id)
	}
	if err != nil {
		return Batch{}, fmt.Errorf("complete batch %s: %w", id, classify(err, "batch"))
	}
	return b, nil
}

// FailBatch marks a batch failed with the reason; a completed batch stays completed.
func (s *Store) FailBatch(ctx context.Context, id, reason string) error {
	_, err := s.Pool.Exec(ctx, `
		UPDATE ingest_batches SET status = 'failed', failure = $2, updated_at = now(), finished_at = now()
		WHERE id = $1 AND status <> 'completed'`, id, reason)
	if err != nil {
		return fmt.Errorf("fail batch %s: %w", id, classify(err, "batch"))
	}
	return nil
}
