package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/audit"
)

// AuditEntry is one audit record as read back.
type AuditEntry struct {
	ID           int64           `json:"id"`
	CreatedAt    time.Time       `json:"created_at"`
	Actor        audit.Actor     `json:"actor"`
	Action       string          `json:"action"`
	ResourceType string          `json:"resource_type"`
	ResourceID   string          `json:"resource_id"`
	SellerID     *string         `json:"seller_id"`
	Before       json.RawMessage `json:"before"`
	After        json.RawMessage `json:"after"`
}

// AuditFilter selects a page of audit records, newest first. Empty fields do not filter.
type AuditFilter struct {
	ActorID, APIKeyID, ResourceType, ResourceID, Action string
	// SellerID keeps the records of one store's resources (a seller reading its own).
	SellerID string
	// From (inclusive) and To (exclusive) bound created_at.
	From, To time.Time
	Limit    int
	Cursor   string
}

// AuditPage is one page of audit records; NextCursor is nil on the last.
type AuditPage struct {
	Items      []AuditEntry
	NextCursor *string
}

const auditColumns = `id, created_at, actor_id, actor_role, actor_seller_id, api_key_id, request_id, ip, user_agent,
	action, resource_type, resource_id, seller_id::text, before, after`

func scanAuditEntry(row pgx.Row) (AuditEntry, error) {
	var e AuditEntry
	var before, after []byte
	err := row.Scan(&e.ID, &e.CreatedAt, &e.Actor.AccountID, &e.Actor.Role, &e.Actor.SellerID, &e.Actor.APIKeyID,
		&e.Actor.RequestID, &e.Actor.IP, &e.Actor.UserAgent, &e.Action, &e.ResourceType, &e.ResourceID, &e.SellerID,
		&before, &after)
	if before != nil {
		e.Before = before
	}
	if after != nil {
		e.After = after
	}
	return e, err
}

// auditCursor is the position after a page's last record. Scope ties it to the filter.
type auditCursor struct {
	Scope string `json:"s"`
	ID    int64  `json:"id"`
}

func (f AuditFilter) scope() string {
	return strings.Join([]string{f.ActorID, f.APIKeyID, f.ResourceType, f.ResourceID, f.Action, f.SellerID,
		f.From.UTC().Format(time.RFC3339Nano), f.To.UTC().Format(time.RFC3339Nano)}, "|")
}

// ListAudit returns one page of the audit records f selects, newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) (AuditPage, error) {
	if f.Limit <= 0 {
		f.Limit = 20
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	for _, c := range []struct {
		col, v string
	}{{"actor_id", f.ActorID}, {"api_key_id", f.APIKeyID}, {"resource_type", f.ResourceType},
		{"resource_id", f.ResourceID}, {"action", f.Action}} {
		if c.v != "" {
			add(c.col+" = $%d", c.v)
		}
	}
	if f.SellerID != "" {
		add("seller_id = $%d::uuid", f.SellerID)
	}
	if !f.From.IsZero() {
		add("created_at >= $%d", f.From)
	}
	if !f.To.IsZero() {
		add("created_at < $%d", f.To)
	}
	if f.Cursor != "" {
		c, err := decodeAuditCursor(f.Cursor, f.scope())
		if err != nil {
			return AuditPage{}, err
		}
		add("id < $%d", c.ID)
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit+1)
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := s.Pool.Query(ctx, q, args...)
	if err != nil {
		return AuditPage{}, fmt.Errorf("list audit records: %w", classify(err, "audit record"))
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) { return scanAuditEntry(r) })
	if err != nil {
		return AuditPage{}, fmt.Errorf("list audit records: %w", classify(err, "audit record"))
	}
	page := AuditPage{Items: items}
	if page.Items == nil {
		page.Items = []AuditEntry{}
	}
	if len(items) > f.Limit {
		page.Items = items[:f.Limit]
		b, err := json.Marshal(auditCursor{Scope: f.scope(), ID: page.Items[f.Limit-1].ID})
		if err != nil {
			return AuditPage{}, fmt.Errorf("encode audit cursor: %w", err)
		}
		next := base64.RawURLEncoding.EncodeToString(b)
		page.NextCursor = &next
	}
	return page, nil
}

func decodeAuditCursor(cursor, scope string) (auditCursor, error) {
	bad := invalidParam("cursor", "is not a cursor this list gave out")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return auditCursor{}, bad
	}
	var c auditCursor
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.ID <= 0 {
		return auditCursor{}, bad
	}
	if c.Scope != scope {
		return auditCursor{}, invalidParam("cursor", "was made for another filter; start again without a cursor")
	}
	return c, nil
}
