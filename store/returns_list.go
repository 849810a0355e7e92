package store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ReturnFilter selects a page of returns, newest first. Zero fields do not filter.
type ReturnFilter struct {
	CustomerID string
	SellerID   string
	Status     string
	OrderID    string
	// Limit is the page size (default 20); Cursor, a previous page's NextCursor, continues after it.
	Limit  int
	Cursor string
}

// ReturnPage is one page of returns; NextCursor is nil on the last page.
type ReturnPage struct {
	Items      []Return `json:"items"`
	NextCursor *string  `json:"next_cursor"`
}

func (f ReturnFilter) fingerprint() string {
	b, _ := json.Marshal([]string{f.CustomerID, f.SellerID, f.Status, f.OrderID})
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// ListReturns returns one page of the returns matching f, newest first (ties by id), with
// their lines. A malformed cursor, or one from a list with other filters, is invalid.
func (s *Store) ListReturns(ctx context.Context, f ReturnFilter) (ReturnPage, error) {
	if f.Limit <= 0 {
		f.Limit = 20
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where = append(where, "true")
	if f.CustomerID != "" {
		where = append(where, "r.customer_id = "+arg(f.CustomerID)+"::uuid")
	}
	if f.SellerID != "" {
		where = append(where, "r.seller_id = "+arg(f.SellerID)+"::uuid")
	}
	if f.Status != "" {
		where = append(where, "r.status = "+arg(f.Status))
	}
	if f.OrderID != "" {
		where = append(where, "r.order_id = "+arg(f.OrderID)+"::uuid")
	}
	if f.Cursor != "" {
		c, err := decodeTimeCursor(f.Cursor, f.fingerprint())
		if err != nil {
			return ReturnPage{}, err
		}
		where = append(where, fmt.Sprintf("(r.created_at, r.id) < (%s, %s::uuid)", arg(c.CreatedAt), arg(c.ID)))
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+returnColumns+` FROM returns r WHERE `+strings.Join(where, " AND ")+
		` ORDER BY r.created_at DESC, r.id DESC LIMIT `+arg(f.Limit+1), args...)
	if err != nil {
		return ReturnPage{}, fmt.Errorf("list returns: %w", classify(err, "return"))
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Return, error) { return scanReturn(r) })
	if err != nil {
		return ReturnPage{}, fmt.Errorf("list returns: %w", classify(err, "return"))
	}
	page := ReturnPage{Items: items}
	if len(items) > f.Limit {
		page.Items = items[:f.Limit]
		last := page.Items[f.Limit-1]
		next := timeCursor{Query: f.fingerprint(), CreatedAt: last.CreatedAt, ID: last.ID}.encode()
		page.NextCursor = &next
	}
	ids := make([]string, len(page.Items))
	for i, r := range page.Items {
		ids[i] = r.ID
	}
	lines, err := returnLinesOf(ctx, s.Pool, ids)
	if err != nil {
		return ReturnPage{}, fmt.Errorf("list returns: %w", err)
	}
	for i := range page.Items {
		page.Items[i].Lines = lines[page.Items[i].ID]
	}
	return page, nil
}
