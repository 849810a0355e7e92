package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// OldAuditRecords returns up to limit audit records created before cutoff with ids above
// afterID, in id order: the next chunk the retention job exports.
func (s *Store) OldAuditRecords(ctx context.Context, cutoff time.Time, afterID int64, limit int) ([]AuditEntry, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_log
		WHERE id > $1 AND created_at < $2 ORDER BY id LIMIT $3`, afterID, cutoff, limit)
	if err != nil {
		return nil, fmt.Errorf("read old audit records: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) { return scanAuditEntry(r) })
	if err != nil {
		return nil, fmt.Errorf("read old audit records: %w", err)
	}
	return out, nil
}

// AuditPurge says what one purge removed, for its own audit record.
type AuditPurge struct {
	Export  string    `json:"export"`
	Cutoff  time.Time `json:"cutoff"`
	FirstID int64     `json:"first_id"`
	LastID  int64     `json:"last_id"`
	Removed int64     `json:"removed"`
}

// PurgeAudit removes exactly the records ids names that are older than cutoff, through the
// database's audit_purge function (the only way a record leaves audit_log), and records the
// purge itself in the same transaction. Purging ids already gone removes nothing and records
// nothing, so a retried purge is harmless. It returns how many records it removed.
func (s *Store) PurgeAudit(ctx context.Context, ids []int64, cutoff time.Time, export string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var removed int64
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT audit_purge($1, $2)`, ids, cutoff).Scan(&removed); err != nil {
			return err
		}
		if removed == 0 {
			return nil
		}
		first, last := ids[0], ids[0]
		for _, id := range ids {
			first, last = min(first, id), max(last, id)
		}
		return RecordAudit(ctx, tx, AuditRecord{Action: "audit.purge", ResourceType: "audit_log",
			ResourceID: fmt.Sprintf("%d-%d", first, last),
			After:      AuditPurge{Export: export, Cutoff: cutoff.UTC(), FirstID: first, LastID: last, Removed: removed}})
	})
	if err != nil {
		return 0, fmt.Errorf("purge audit records: %w", err)
	}
	return removed, nil
}
