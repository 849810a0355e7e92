package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// NotificationFile is a submitted notification file and, once delivered, its per-row results.
type NotificationFile struct {
	ID         string                  `json:"id"`
	SHA256     string                  `json:"sha256"`
	Format     string                  `json:"format"`
	Status     string                  `json:"status"`
	Rows       int                     `json:"rows"`
	Sent       int                     `json:"sent"`
	Duplicates int                     `json:"duplicates"`
	Failed     int                     `json:"failed"`
	Rejected   int                     `json:"rejected"`
	Results    []NotificationRowResult `json:"results"`
	CreatedAt  time.Time               `json:"created_at"`
	FinishedAt *time.Time              `json:"finished_at"`
}

// NotificationRowResult is what happened to one row of a notification file.
type NotificationRowResult struct {
	Row       int    `json:"row"`
	Recipient string `json:"recipient"`
	Channel   string `json:"channel"`
	// Status is sent, duplicate (the same file's row was sent before), failed (the provider
	// refused it for good), rejected (bad row) or retry (a transient failure outlasted the
	// retries; submitting the same file again resumes it).
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// NotificationFileRow is one valid row of a notification file, awaiting delivery.
type NotificationFileRow struct {
	Row       int    `json:"row"`
	Recipient string `json:"recipient"`
	Channel   string `json:"channel"`
	Subject   string `json:"subject,omitempty"`
	Message   string `json:"message"`
}

// CreateNotificationFile registers a file for delivery: its valid rows, and the results of its
// bad rows (already final).
func (s *Store) CreateNotificationFile(ctx context.Context, sha, format, submittedBy string,
	rows []NotificationFileRow, rejected []NotificationRowResult) (string, error) {
	var by *string
	if submittedBy != "" {
		by = &submittedBy
	}
	if rows == nil {
		rows = []NotificationFileRow{}
	}
	if rejected == nil {
		rejected = []NotificationRowResult{}
	}
	rawRows, err := json.Marshal(rows)
	if err != nil {
		return "", fmt.Errorf("create notification file: %w", err)
	}
	rawResults, err := json.Marshal(rejected)
	if err != nil {
		return "", fmt.Errorf("create notification file: %w", err)
	}
	var id string
	err = s.Pool.QueryRow(ctx, `INSERT INTO notification_files (sha256, format, submitted_by, rows_total, rejected, rows, results)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id::text`,
		sha, format, by, len(rows)+len(rejected), len(rejected), rawRows, rawResults).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("create notification file: %w", classify(err, "notification file"))
	}
	s.AnnounceOutbox(ctx)
	return id, nil
}

// PendingNotificationFile is a file whose rows are still to be delivered.
type PendingNotificationFile struct {
	ID       string
	SHA256   string
	Rows     []NotificationFileRow
	Rejected []NotificationRowResult
}

// PendingNotificationFiles returns up to limit files awaiting delivery, oldest first.
func (s *Store) PendingNotificationFiles(ctx context.Context, limit int) ([]PendingNotificationFile, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id::text, sha256, rows, results FROM notification_files
		WHERE status = 'processing' ORDER BY created_at LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("pending notification files: %w", classify(err, "notification files"))
	}
	files, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PendingNotificationFile, error) {
		var f PendingNotificationFile
		var rawRows, rawResults []byte
		if err := r.Scan(&f.ID, &f.SHA256, &rawRows, &rawResults); err != nil {
			return f, err
		}
		if err := json.Unmarshal(rawRows, &f.Rows); err != nil {
			return f, err
		}
		return f, json.Unmarshal(rawResults, &f.Rejected)
	})
	if err != nil {
		return nil, fmt.Errorf("pending notification files: %w", classify(err, "notification files"))
	}
	return files, nil
}

// FinishNotificationFile stores the file's per-row results and counts.
func (s *Store) FinishNotificationFile(ctx context.Context, id string, results []NotificationRowResult) error {
	count := map[string]int{}
	for _, r := range results {
		count[r.Status]++
	}
	raw, err := json.Marshal(results)
	if err != nil {
		return fmt.Errorf("finish notification file %s: %w", id, err)
	}
	_, err = s.Pool.Exec(ctx, `UPDATE notification_files SET status = 'done', rows_total = $2, sent = $3, duplicates = $4,
		failed = $5::int + $7::int, rejected = $6, results = $8, finished_at = now() WHERE id = $1 AND status = 'processing'`,
		id, len(results), count["sent"], count["duplicate"], count["failed"], count["rejected"], count["retry"], raw)
	if err != nil {
		return fmt.Errorf("finish notification file %s: %w", id, classify(err, "notification file"))
	}
	return nil
}

// NotificationFileByID returns a notification file with its results.
func (s *Store) NotificationFileByID(ctx context.Context, id string) (NotificationFile, error) {
	if _, err := uuid.Parse(id); err != nil {
		return NotificationFile{}, errs.E(errs.NotFound, "notification file %q not found", id)
	}
	var f NotificationFile
	var raw []byte
	err := s.Pool.QueryRow(ctx, `SELECT id::text, sha256, format, status, rows_total, sent, duplicates, failed, rejected,
		results, created_at, finished_at FROM notification_files WHERE id = $1`, id).
		Scan(&f.ID, &f.SHA256, &f.Format, &f.Status, &f.Rows, &f.Sent, &f.Duplicates, &f.Failed, &f.Rejected, &raw, &f.CreatedAt, &f.FinishedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, errs.E(errs.NotFound, "notification file %q not found", id)
	}
	if err != nil {
		return f, fmt.Errorf("notification file %s: %w", id, classify(err, "notification file"))
	}
	if err := json.Unmarshal(raw, &f.Results); err != nil {
		return f, fmt.Errorf("notification file %s results: %w", id, err)
	}
	return f, nil
}
