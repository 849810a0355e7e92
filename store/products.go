package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"shopflow/errs"
)

// Product statuses. Only active products are listed publicly and can be sold; archived ones are
// kept for order history.
const (
	ProductDraft    = "draft"
	ProductActive   = "active"
	ProductArchived = "archived"
)

// Product is a seller's item for sale, with its store's name and its stock. Its JSON is the
// API's Product: stock is shown as availability only, never as on-hand or reserved counts.
type Product struct {
	ID          int64
	SellerID    string
	StoreName   string
	CategoryID  int64
	Name        string
	Description string
	// PriceCents is in minor units of Currency; prices are always read from here, never from clients.
	PriceCents int64
	Currency   string
	Attributes map[string]any
	Status     string
	// OnHand, Reserved and LowStockThreshold are the product's inventory row.
	OnHand            int
	Reserved          int
	LowStockThreshold int
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Available is the stock that can still be reserved.
func (p Product) Available() int { return max(p.OnHand-p.Reserved, 0) }

// InStock reports whether at least one unit can be reserved.
func (p Product) InStock() bool { return p.Available() > 0 }

// Stock is a product's availability as shown to shoppers.
type Stock struct {
	Available int  `json:"available"`
	InStock   bool `json:"in_stock"`
}

// MarshalJSON writes the API's Product shape.
func (p Product) MarshalJSON() ([]byte, error) {
	attrs := p.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	return json.Marshal(struct {
		ID          int64          `json:"id"`
		SellerID    string         `json:"seller_id"`
		StoreName   string         `json:"store_name"`
		CategoryID  int64          `json:"category_id"`
		Name        string         `json:"name"`
		Description string         `json:"description"`
		PriceCents  int64          `json:"price_cents"`
		Currency    string         `json:"currency"`
		Attributes  map[string]any `json:"attributes"`
		Status      string         `json:"status"`
		Stock       Stock          `json:"stock"`
		CreatedAt   time.Time      `json:"created_at"`
		UpdatedAt   time.Time      `json:"updated_at"`
	}{p.ID, p.SellerID, p.StoreName, p.CategoryID, p.Name, p.Description, p.PriceCents, p.Currency, attrs,
		p.Status, Stock{Available: p.Available(), InStock: p.InStock()}, p.CreatedAt, p.UpdatedAt})
}

const productColumns = `p.id, p.seller_id, s.store_name, p.category_id, p.name, p.description, p.price_cents,
	p.currency, p.attributes, p.status, i.on_hand, i.reserved, i.low_stock_threshold, p.created_at, p.updated_at`

const productFrom = ` FROM products p JOIN sellers s ON s.id = p.seller_id JOIN inventory i ON i.product_id = p.id`

func scanProduct(row pgx.Row) (Product, error) {
	var p Product
	err := row.Scan(&p.ID, &p.SellerID, &p.StoreName, &p.CategoryID, &p.Name, &p.Description, &p.PriceCents,
		&p.Currency, &p.Attributes, &p.Status, &p.OnHand, &p.Reserved, &p.LowStockThreshold, &p.CreatedAt, &p.UpdatedAt)
	if p.Attributes == nil {
		p.Attributes = map[string]any{}
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, err
}

// ProductByID returns a product in any status, with its inventory. Callers decide who may see
// drafts and archived products.
func (s *Store) ProductByID(ctx context.Context, id int64) (Product, error) {
	p, err := productByID(ctx, s.Pool, id)
	if err != nil {
		return Product{}, fmt.Errorf("product %d: %w", id, err)
	}
	return p, nil
}

func productByID(ctx context.Context, q querier, id int64) (Product, error) {
	p, err := scanProduct(q.QueryRow(ctx, `SELECT `+productColumns+productFrom+` WHERE p.id = $1`, id))
	if err != nil {
		return Product{}, classify(err, "product")
	}
	return p, nil
}

// querier is what a pool and a transaction have in common.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// NewProduct is what CreateProduct needs. Status defaults to active.
type NewProduct struct {
	SellerID          string
	CategoryID        int64
	Name              string
	Description       string
	PriceCents        int64
	Currency          string
	Attributes        map[string]any
	Status            string
	OnHand            int
	LowStockThreshold int
}

// CreateProduct inserts a product and its inventory row in one transaction. An unknown seller or
// category is a validation error.
func (s *Store) CreateProduct(ctx context.Context, np NewProduct) (Product, error) {
	if np.Status == "" {
		np.Status = ProductActive
	}
	if np.Attributes == nil {
		np.Attributes = map[string]any{}
	}
	var p Product
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO products (seller_id, category_id, name, description, price_cents, currency, attributes, status)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			np.SellerID, np.CategoryID, np.Name, np.Description, np.PriceCents, np.Currency, np.Attributes, np.Status).Scan(&id)
		if err != nil {
			return productWriteError(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO inventory (product_id, on_hand, low_stock_threshold) VALUES ($1, $2, $3)`,
			id, np.OnHand, np.LowStockThreshold); err != nil {
			return classify(err, "inventory")
		}
		p, err = productByID(ctx, tx, id)
		return err
	})
	if err != nil {
		return Product{}, fmt.Errorf("create product %q for seller %s: %w", np.Name, np.SellerID, err)
	}
	return p, nil
}

// ProductUpdate changes the fields that are set; a nil Attributes leaves them unchanged.
type ProductUpdate struct {
	CategoryID  *int64
	Name        *string
	Description *string
	PriceCents  *int64
	Currency    *string
	Attributes  map[string]any
	Status      *string
}

// UpdateProduct changes a product and returns it as it now is.
func (s *Store) UpdateProduct(ctx context.Context, id int64, u ProductUpdate) (Product, error) {
	var attrs any // untyped nil, so Postgres sees NULL rather than an empty object
	if u.Attributes != nil {
		attrs = u.Attributes
	}
	var p Product
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE products SET
				category_id = coalesce($2, category_id),
				name = coalesce($3, name),
				description = coalesce($4, description),
				price_cents = coalesce($5, price_cents),
				currency = coalesce($6, currency),
				attributes = coalesce($7::jsonb, attributes),
				status = coalesce($8, status),
				updated_at = now()
			WHERE id = $1`, id, u.CategoryID, u.Name, u.Description, u.PriceCents, u.Currency, attrs, u.Status)
		if err != nil {
			return productWriteError(err)
		}
		if tag.RowsAffected() == 0 {
			return errs.E(errs.NotFound, "product not found")
		}
		p, err = productByID(ctx, tx, id)
		return err
	})
	if err != nil {
		return Product{}, fmt.Errorf("update product %d: %w", id, err)
	}
	return p, nil
}

// ArchiveProduct takes a product off sale for good while keeping it for order history.
// Archiving an archived product changes nothing.
func (s *Store) ArchiveProduct(ctx context.Context, id int64) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE products SET status = 'archived',
			updated_at = CASE WHEN status = 'archived' THEN updated_at ELSE now() END
		WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("archive product %d: %w", id, classify(err, "product"))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("archive product %d: %w", id, errs.E(errs.NotFound, "product not found"))
	}
	return nil
}

func productWriteError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		switch pgErr.ConstraintName {
		case "products_category_id_fkey":
			e := fieldError("category_id", "no such category")
			e.Err = err
			return e
		case "products_seller_id_fkey":
			e := fieldError("seller_id", "no such seller")
			e.Err = err
			return e
		}
	}
	return classify(err, "product")
}

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
			return ProductPage{}, err
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

	rows, err := s.Pool.Query(ctx, sql, args...)
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

// invalidParam is a bad query parameter, named in the message and the details.
func invalidParam(name, problem string) *errs.Error {
	return errs.E(errs.Invalid, "%s %s", name, problem).WithDetails("parameter", name)
}

func isForeignKey(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}
