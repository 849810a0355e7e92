package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

const refundColumns = `r.id::text, r.order_id::text, coalesce(r.return_id::text, ''), r.kind, r.status, r.amount_cents,
	r.currency, r.key, r.provider_ref, r.failure_reason, r.attempts, r.created_at, r.updated_at, r.succeeded_at`

func scanRefund(row pgx.CollectableRow) (Refund, error) {
	var r Refund
	err := row.Scan(&r.ID, &r.OrderID, &r.ReturnID, &r.Kind, &r.Status, &r.AmountCents, &r.Currency, &r.Key,
		&r.ProviderRef, &r.FailureReason, &r.Attempts, &r.CreatedAt, &r.UpdatedAt, &r.SucceededAt)
	return r, err
}

// loadRefunds reads the refunds selected by tail (WHERE/ORDER/LIMIT over alias r) with their lines.
func (s *Store) loadRefunds(ctx context.Context, tail string, args ...any) ([]Refund, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+refundColumns+` FROM refunds r `+tail, args...)
	if err != nil {
		return nil, err
	}
	refunds, err := pgx.CollectRows(rows, scanRefund)
	if err != nil || len(refunds) == 0 {
		return refunds, err
	}
	ids := make([]string, len(refunds))
	byID := map[string]int{}
	for i, r := range refunds {
		ids[i], byID[r.ID] = r.ID, i
		refunds[i].Lines = []RefundLine{}
	}
	rows, err = s.Pool.Query(ctx, `SELECT refund_id::text, line_no, quantity, amount_cents, product_id, seller_id::text
		FROM refund_lines WHERE refund_id = ANY($1::uuid[]) ORDER BY refund_id, line_no`, ids)
	if err != nil {
		return nil, err
	}
	var id string
	var l RefundLine
	_, err = pgx.ForEachRow(rows, []any{&id, &l.LineNo, &l.Quantity, &l.AmountCents, &l.ProductID, &l.SellerID}, func() error {
		i := byID[id]
		refunds[i].Lines = append(refunds[i].Lines, l)
		return nil
	})
	return refunds, err
}

// RefundByID returns one refund with its lines.
func (s *Store) RefundByID(ctx context.Context, id string) (Refund, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Refund{}, errs.E(errs.NotFound, "refund %s not found", id)
	}
	refunds, err := s.loadRefunds(ctx, `WHERE r.id = $1`, id)
	if err == nil && len(refunds) == 0 {
		err = errs.E(errs.NotFound, "refund %s not found", id)
	}
	if err != nil {
		return Refund{}, fmt.Errorf("refund %s: %w", id, classify(err, "refund"))
	}
	return refunds[0], nil
}

// OrderRefunds returns an order's refunds, oldest first.
func (s *Store) OrderRefunds(ctx context.Context, orderID string) ([]Refund, error) {
	refunds, err := s.loadRefunds(ctx, `WHERE r.order_id = $1 ORDER BY r.created_at, r.id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("refunds of order %s: %w", orderID, classify(err, "refund"))
	}
	return refunds, nil
}

// RefundFilter selects a page of refunds, oldest first (failed refunds waiting longest first).
type RefundFilter struct {
	// Status, when set, keeps refunds in that status.
	Status string
	Limit  int
	Cursor string
}

type refundCursor struct {
	Status    string    `json:"s"`
	CreatedAt time.Time `json:"t"`
	ID        string    `json:"id"`
}

// RefundPage is one page of refunds.
type RefundPage struct {
	Items      []Refund
	NextCursor *string
}

// ListRefunds returns one page of refunds matching f.
func (s *Store) ListRefunds(ctx context.Context, f RefundFilter) (RefundPage, error) {
	if f.Limit <= 0 {
		f.Limit = 20
	}
	args := []any{f.Status, f.Limit + 1}
	where := `WHERE ($1 = '' OR r.status = $1)`
	if f.Cursor != "" {
		c, err := decodeRefundCursor(f.Cursor, f.Status)
		if err != nil {
			return RefundPage{}, err
		}
		args = append(args, c.CreatedAt, c.ID)
		where += ` AND (r.created_at, r.id) > ($3, $4::uuid)`
	}
	refunds, err := s.loadRefunds(ctx, where+` ORDER BY r.created_at, r.id LIMIT $2`, args...)
	if err != nil {
		return RefundPage{}, fmt.Errorf("list refunds: %w", classify(err, "refund"))
	}
	page := RefundPage{Items: refunds}
	if len(refunds) > f.Limit {
		page.Items = refunds[:f.Limit]
		last := page.Items[f.Limit-1]
		b, _ := json.Marshal(refundCursor{Status: f.Status, CreatedAt: last.CreatedAt, ID: last.ID})
		next := base64.RawURLEncoding.EncodeToString(b)
		page.NextCursor = &next
	}
	return page, nil
}

func decodeRefundCursor(cursor, status string) (refundCursor, error) {
	bad := invalidParam("cursor", "is not a cursor this list gave out")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return refundCursor{}, bad
	}
	var c refundCursor
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.CreatedAt.IsZero() || c.Status != status {
		return refundCursor{}, bad
	}
	if _, err := uuid.Parse(c.ID); err != nil {
		return refundCursor{}, bad
	}
	return c, nil
}
