package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Product list sorts, by the name clients use.
const (
	SortCreatedAsc  = "created_at"
	SortCreatedDesc = "-created_at"
	SortPriceAsc    = "price"
	SortPriceDesc   = "-price"
	SortNameAsc     = "name"
	SortNameDesc    = "-name"
)

// DefaultProductSort shows the newest products first.
const DefaultProductSort = SortCreatedDesc

// ValidProductSort reports whether sort names a product list order.
func ValidProductSort(sort string) bool {
	_, _, ok := productSortColumn(sort)
	return ok
}

func productSortColumn(sort string) (column string, desc bool, ok bool) {
	desc = strings.HasPrefix(sort, "-")
	switch strings.TrimPrefix(sort, "-") {
	case "created_at":
		return "p.created_at", desc, true
	case "price":
		return "p.price_cents", desc, true
	case "name":
		return "p.name", desc, true
	}
	return "", false, false
}

// ProductFilter selects and orders a page of products. Zero fields do not filter.
type ProductFilter struct {
	// CategoryID matches the category and all its descendants.
	CategoryID int64
	SellerID   string
	MinPrice   *int64
	MaxPrice   *int64
	InStock    *bool
	// Status defaults to active.
	Status string
	// Query is a web-search style full-text query over name and description.
	Query string
	// Sort is one of the Sort constants; it defaults to DefaultProductSort.
	Sort string
	// Limit is the page size; Cursor, from a previous page's NextCursor, continues after it.
	Limit  int
	Cursor string
}

// ProductPage is one page of a product list; NextCursor is nil on the last page.
type ProductPage struct {
	Items      []Product `json:"items"`
	NextCursor *string   `json:"next_cursor"`
}

// productCursor is the position after a page's last row: its sort value and id. Keyset
// pagination stays stable when rows are inserted between page fetches, unlike offsets.
type productCursor struct {
	Sort string `json:"s"`
	// Query fingerprints the filters, so a cursor is refused by a list it did not come from.
	Query string          `json:"q"`
	Value json.RawMessage `json:"v"`
	ID    int64           `json:"id"`
}

// fingerprint identifies the rows f selects, whatever page and page size.
func (f ProductFilter) fingerprint() string {
	b, _ := json.Marshal([]any{f.CategoryID, f.SellerID, f.MinPrice, f.MaxPrice, f.InStock, f.Status, f.Query})
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// ListProducts returns one page of the products matching f, in f.Sort order with ties by id.
// A malformed cursor, or one from a list with other filters or another sort, is an invalid request.
// It may read a replica (Reader).
func (s *Store) ListProducts(ctx context.Context, f ProductFilter) (ProductPage, error) {
	if f.Status == "" {
		f.Status = ProductActive
	}
	if f.Sort == "" {
		f.Sort = DefaultProductSort
	}
	column, desc, ok := productSortColumn(f.Sort)
	if !ok {
		return ProductPage{}, invalidParam("sort", "must be one of created_at, -created_at, price, -price, name, -name")
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	sql, args, err := productListSQL(f, column, desc)
	if err != nil {
		return ProductPage{}, err
	}
	rows, err := s.Reader(ctx).Query(ctx, sql, args...)
	if err != nil {
		return ProductPage{}, fmt.Errorf("list products: %w", classify(err, "product"))
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Product, error) { return scanProduct(r) })
	if err != nil {
		return ProductPage{}, fmt.Errorf("list products: %w", classify(err, "product"))
	}
	page := ProductPage{Items: items}
	if page.Items == nil {
		page.Items = []Product{}
	}
	if len(items) > f.Limit {
		page.Items = items[:f.Limit]
		next, err := encodeProductCursor(f.Sort, f.fingerprint(), page.Items[f.Limit-1])
		if err != nil {
			return ProductPage{}, fmt.Errorf("list products: %w", err)
		}
		page.NextCursor = &next
	}
	return page, nil
}

// productListSQL builds the query of f's page in sort column (descending when desc): one row
// more than the page, which tells whether another page follows.
func productListSQL(f ProductFilter, column string, desc bool) (string, []any, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where = append(where, "p.status = "+arg(f.Status))
	with := ""
	if f.CategoryID != 0 {
		with = `WITH RECURSIVE subtree AS (
				SELECT id FROM categories WHERE id = ` + arg(f.CategoryID) + `
				UNION
				SELECT c.id FROM categories c JOIN subtree t ON c.parent_id = t.id
			) `
		where = append(where, "p.category_id IN (SELECT id FROM subtree)")
	}
	if f.SellerID != "" {
		where = append(where, "p.seller_id = "+arg(f.SellerID)+"::uuid")
	}
	if f.MinPrice != nil {
		where = append(where, "p.price_cents >= "+arg(*f.MinPrice))
	}
	if f.MaxPrice != nil {
		where = append(where, "p.price_cents <= "+arg(*f.MaxPrice))
	}
	if f.InStock != nil {
		if *f.InStock {
			where = append(where, "i.on_hand - i.reserved > 0")
		} else {
			where = append(where, "i.on_hand - i.reserved <= 0")
		}
	}
	if f.Query != "" {
		where = append(where, "p.search @@ websearch_to_tsquery('simple', "+arg(f.Query)+")")
	}
	if f.Cursor != "" {
		value, id, err := decodeProductCursor(f.Cursor, f.Sort, f.fingerprint())
		if err != nil {
			return "", nil, err
		}
		op := ">"
		if desc {
			op = "<"
		}
		where = append(where, fmt.Sprintf("(%s, p.id) %s (%s, %s::bigint)", column, op, arg(value), arg(id)))
	}
	dir := ""
	if desc {
		dir = " DESC"
	}
	sql := with + `SELECT ` + productColumns + productFrom + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + column + dir + `, p.id` + dir + ` LIMIT ` + arg(f.Limit+1)
	return sql, args, nil
}

func encodeProductCursor(sort, query string, last Product) (string, error) {
	var v any
	switch strings.TrimPrefix(sort, "-") {
	case "created_at":
		v = last.CreatedAt
	case "price":
		v = last.PriceCents
	case "name":
		v = last.Name
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode cursor: %w", err)
	}
	b, err := json.Marshal(productCursor{Sort: sort, Query: query, Value: raw, ID: last.ID})
	if err != nil {
		return "", fmt.Errorf("encode cursor: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decodeProductCursor returns the sort value and id a cursor holds, typed for the query.
func decodeProductCursor(cursor, sort, query string) (any, int64, error) {
	bad := invalidParam("cursor", "is not a cursor this list gave out")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, 0, bad
	}
	var c productCursor
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.ID <= 0 || c.Value == nil {
		return nil, 0, bad
	}
	if c.Sort != sort {
		return nil, 0, invalidParam("cursor", fmt.Sprintf("was made for sort %q, not %q; start again without a cursor", c.Sort, sort))
	}
	if c.Query != query {
		return nil, 0, invalidParam("cursor", "was made for a list with other filters; start again without a cursor")
	}
	switch strings.TrimPrefix(sort, "-") {
	case "created_at":
		var t time.Time
		if err := json.Unmarshal(c.Value, &t); err != nil {
			return nil, 0, bad
		}
		return t, c.ID, nil
	case "price":
		var n int64
		if err := json.Unmarshal(c.Value, &n); err != nil {
			return nil, 0, bad
		}
		return n, c.ID, nil
	default:
		var s string
		if err := json.Unmarshal(c.Value, &s); err != nil {
			return nil, 0, bad
		}
		return s, c.ID, nil
	}
}
