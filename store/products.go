package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	// WeightGrams prices shipping by weight; TaxClass picks the product's tax rate.
	WeightGrams int
	TaxClass    string
	// OnHand, Reserved and LowStockThreshold are the product's inventory row.
	OnHand            int
	Reserved          int
	LowStockThreshold int
	// Rating summarises the product's published reviews.
	Rating    RatingSummary
	CreatedAt time.Time
	UpdatedAt time.Time
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
		WeightGrams int            `json:"weight_grams"`
		TaxClass    string         `json:"tax_class"`
		Stock       Stock          `json:"stock"`
		Rating      ratingJSON     `json:"rating"`
		CreatedAt   time.Time      `json:"created_at"`
		UpdatedAt   time.Time      `json:"updated_at"`
	}{p.ID, p.SellerID, p.StoreName, p.CategoryID, p.Name, p.Description, p.PriceCents, p.Currency, attrs,
		p.Status, p.WeightGrams, p.TaxClass, Stock{Available: p.Available(), InStock: p.InStock()}, p.Rating.view(),
		p.CreatedAt, p.UpdatedAt})
}

const productColumns = `p.id, p.seller_id, s.store_name, p.category_id, p.name, p.description, p.price_cents,
	p.currency, p.attributes, p.status, p.weight_grams, p.tax_class, i.on_hand, i.reserved, i.low_stock_threshold,
	p.created_at, p.updated_at, ` + ratingColumns

// productFrom joins what a Product is read from; the rating row is missing for a product
// nobody has reviewed (or sold, see search/postgres UpdateSales).
const productFrom = ` FROM products p JOIN sellers s ON s.id = p.seller_id JOIN inventory i ON i.product_id = p.id
	LEFT JOIN product_search_stats st ON st.product_id = p.id`

func scanProduct(row pgx.Row) (Product, error) {
	var p Product
	err := row.Scan(&p.ID, &p.SellerID, &p.StoreName, &p.CategoryID, &p.Name, &p.Description, &p.PriceCents,
		&p.Currency, &p.Attributes, &p.Status, &p.WeightGrams, &p.TaxClass, &p.OnHand, &p.Reserved, &p.LowStockThreshold, &p.CreatedAt, &p.UpdatedAt,
		&p.Rating.Average, &p.Rating.Count, &p.Rating.Histogram[0], &p.Rating.Histogram[1], &p.Rating.Histogram[2],
		&p.Rating.Histogram[3], &p.Rating.Histogram[4])
	if p.Attributes == nil {
		p.Attributes = map[string]any{}
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, err
}

// ProductByID returns a product in any status, with its inventory. Callers decide who may see
// drafts and archived products. It may read a replica (Reader): a caller about to change the
// product it just created or changed passes ReadPrimary(ctx).
func (s *Store) ProductByID(ctx context.Context, id int64) (Product, error) {
	p, err := productByID(ctx, s.Reader(ctx), id)
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

// NewProduct is what CreateProduct needs. Status defaults to active, TaxClass to standard.
type NewProduct struct {
	SellerID          string
	CategoryID        int64
	Name              string
	Description       string
	PriceCents        int64
	Currency          string
	Attributes        map[string]any
	Status            string
	WeightGrams       int
	TaxClass          string
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
	if np.TaxClass == "" {
		np.TaxClass = DefaultTaxClass
	}
	var p Product
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO products (seller_id, category_id, name, description, price_cents, currency, attributes, status,
				weight_grams, tax_class)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			np.SellerID, np.CategoryID, np.Name, np.Description, np.PriceCents, np.Currency, np.Attributes, np.Status,
			np.WeightGrams, np.TaxClass).Scan(&id)
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
	WeightGrams *int
	TaxClass    *string
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
				weight_grams = coalesce($9, weight_grams),
				tax_class = coalesce($10, tax_class),
				updated_at = now()
			WHERE id = $1`, id, u.CategoryID, u.Name, u.Description, u.PriceCents, u.Currency, attrs, u.Status,
			u.WeightGrams, u.TaxClass)
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
	tag, err := s.execInTx(ctx, `UPDATE products SET status = 'archived',
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

// invalidParam is a bad query parameter, named in the message and the details.
func invalidParam(name, problem string) *errs.Error {
	return errs.E(errs.Invalid, "%s %s", name, problem).WithDetails("parameter", name)
}

func isForeignKey(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}
