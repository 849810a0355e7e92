package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// Statuses of a data export.
const (
	ExportPending = "pending"
	ExportRunning = "running"
	ExportReady   = "ready"
	ExportFailed  = "failed"
)

// DataExport is a customer's export of their data: an archive in report storage, downloadable
// with the token sent to them until ExpiresAt.
type DataExport struct {
	ID         string           `json:"id"`
	UserID     string           `json:"-"`
	Status     string           `json:"status"`
	Progress   int64            `json:"progress"`
	Counts     map[string]int64 `json:"counts"`
	StorageKey string           `json:"-"`
	ExpiresAt  *time.Time       `json:"expires_at"`
	CreatedAt  time.Time        `json:"created_at"`
	FinishedAt *time.Time       `json:"finished_at"`
	tokenHash  []byte
}

const exportColumns = `id::text, user_id::text, status, progress, counts, storage_key, expires_at, created_at, finished_at, token_hash`

func scanExport(row pgx.Row) (DataExport, error) {
	var e DataExport
	var counts []byte
	err := row.Scan(&e.ID, &e.UserID, &e.Status, &e.Progress, &counts, &e.StorageKey, &e.ExpiresAt, &e.CreatedAt, &e.FinishedAt, &e.tokenHash)
	if err != nil {
		return e, classify(err, "export")
	}
	if err := json.Unmarshal(counts, &e.Counts); err != nil {
		return e, fmt.Errorf("decode export counts: %w", err)
	}
	return e, nil
}

// CreateDataExport records a new pending export of the user's data. An erased (or erasing)
// account has nothing left to export: that is a conflict.
func (s *Store) CreateDataExport(ctx context.Context, userID string) (DataExport, error) {
	var e DataExport
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if err := refuseErased(ctx, tx, userID); err != nil {
			return err
		}
		var err error
		e, err = scanExport(tx.QueryRow(ctx, `INSERT INTO data_exports (user_id) VALUES ($1) RETURNING `+exportColumns, userID))
		return err
	})
	if err != nil {
		return DataExport{}, fmt.Errorf("create export for %s: %w", userID, err)
	}
	return e, nil
}

// refuseErased fails with a conflict when an erasure of the user exists.
func refuseErased(ctx context.Context, q querier, userID string) error {
	var erasing bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM erasures WHERE user_id = $1)`, userID).Scan(&erasing); err != nil {
		return classify(err, "erasure")
	}
	if erasing {
		return errs.E(errs.Conflict, "the account is being or has been erased")
	}
	return nil
}

// DataExportOf returns the user's export id; another user's is not found.
func (s *Store) DataExportOf(ctx context.Context, userID, id string) (DataExport, error) {
	if !validUUID(id) {
		return DataExport{}, errs.E(errs.NotFound, "export not found")
	}
	return scanExport(s.Pool.QueryRow(ctx, `SELECT `+exportColumns+` FROM data_exports WHERE id = $1 AND user_id = $2`, id, userID))
}

// DataExportByID returns an export for the workflow that builds it.
func (s *Store) DataExportByID(ctx context.Context, id string) (DataExport, error) {
	return scanExport(s.Pool.QueryRow(ctx, `SELECT `+exportColumns+` FROM data_exports WHERE id = $1`, id))
}

// ErrExportExpired is DownloadableExport's answer for the right token after expiry (the API
// answers 410 Gone).
var ErrExportExpired = errs.E(errs.Conflict, "the download link has expired; ask for a new export")

// DownloadableExport checks a download token: a wrong token, or an export not ready, is not
// found; the right token after expiry is ErrExportExpired.
func (s *Store) DownloadableExport(ctx context.Context, id, token string, now time.Time) (DataExport, error) {
	if !validUUID(id) || token == "" {
		return DataExport{}, errs.E(errs.NotFound, "export not found")
	}
	e, err := scanExport(s.Pool.QueryRow(ctx, `SELECT `+exportColumns+` FROM data_exports WHERE id = $1 AND status = 'ready'`, id))
	if err != nil {
		return DataExport{}, err
	}
	sum := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(sum[:], e.tokenHash) != 1 {
		return DataExport{}, errs.E(errs.NotFound, "export not found")
	}
	if e.ExpiresAt == nil || !now.Before(*e.ExpiresAt) {
		return DataExport{}, ErrExportExpired
	}
	return e, nil
}

// SetExportProgress marks the export running with the rows written so far.
func (s *Store) SetExportProgress(ctx context.Context, id string, rows int64) error {
	_, err := s.Pool.Exec(ctx, `UPDATE data_exports SET status = 'running', progress = $2 WHERE id = $1 AND status IN ('pending', 'running')`, id, rows)
	if err != nil {
		return fmt.Errorf("export %s progress: %w", id, err)
	}
	return nil
}

// FailDataExport marks the export failed with a reason for the customer (no personal data).
func (s *Store) FailDataExport(ctx context.Context, id, reason string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE data_exports SET status = 'failed', error = $2, finished_at = now()
		WHERE id = $1 AND status IN ('pending', 'running')`, id, reason)
	if err != nil {
		return fmt.Errorf("fail export %s: %w", id, err)
	}
	return nil
}

// ExportLink is what FinishDataExport needs: where the archive is, how long the link lives,
// the token (only its hash is stored) and the notice carrying the link.
type ExportLink struct {
	ExportID   string
	StorageKey string
	Counts     map[string]int64
	Rows       int64
	TTL        time.Duration
	Token      string
	Notice     func(expiresAt time.Time) Notice
}

// FinishDataExport makes the export ready with its link and queues the notice in the same
// transaction. Once ready it changes nothing: a retried activity's new token is never stored,
// so the link already sent keeps working. It reports whether this call made it ready.
func (s *Store) FinishDataExport(ctx context.Context, l ExportLink) (bool, error) {
	sum := sha256.Sum256([]byte(l.Token))
	counts, err := json.Marshal(l.Counts)
	if err != nil {
		return false, fmt.Errorf("encode export counts: %w", err)
	}
	made := false
	err = s.InTx(ctx, func(tx pgx.Tx) error {
		var userID string
		var expires time.Time
		err := tx.QueryRow(ctx, `UPDATE data_exports SET status = 'ready', storage_key = $2, counts = $3, progress = $4,
				token_hash = $5, expires_at = now() + $6::interval, finished_at = now(), error = ''
			WHERE id = $1 AND status IN ('pending', 'running') RETURNING user_id::text, expires_at`,
			l.ExportID, l.StorageKey, counts, l.Rows, sum[:], l.TTL.String()).Scan(&userID, &expires)
		if err == pgx.ErrNoRows {
			return nil
		}
		if err != nil {
			return classify(err, "export")
		}
		made = true
		n := l.Notice(expires)
		n.RecipientID = userID
		return QueueNotice(ctx, tx, n)
	})
	if err != nil {
		return false, fmt.Errorf("finish export %s: %w", l.ExportID, err)
	}
	return made, nil
}

var uuidShape = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// validUUID says whether id can be a uuid column's value, so a malformed id is not found
// rather than a database error.
func validUUID(id string) bool { return uuidShape.MatchString(id) }
