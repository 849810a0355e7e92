package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"shopflow/errs"
)

// Promotion kinds and what they apply to.
const (
	PromotionPercent      = "percent"
	PromotionFixed        = "fixed"
	PromotionFreeShipping = "free_shipping"

	AppliesToOrder      = "order"
	AppliesToProducts   = "products"
	AppliesToCategories = "categories"
)

// Limits of a promotion, matching the schema's checks.
const (
	MaxPromotionNameLen        = 120
	MaxPromotionDescriptionLen = 2000
	MaxPromotionAmountCents    = 100_000_000_000
	MaxPromotionPercentBP      = 10_000
)

// PromotionSpec is everything an admin decides about a promotion. A nil Code makes it
// automatic; with one it is a coupon the shopper types (compared ignoring case).
type PromotionSpec struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Code        *string `json:"code"`
	Kind        string  `json:"kind"`
	// PercentBP is the discount of a percent promotion in basis points: 12.5% is 1250.
	PercentBP *int `json:"percent_bp"`
	// AmountCents is the discount of a fixed promotion, in minor units of Currency.
	AmountCents *int64  `json:"amount_cents"`
	Currency    *string `json:"currency"`
	AppliesTo   string  `json:"applies_to"`
	ProductIDs  []int64 `json:"product_ids"`
	CategoryIDs []int64 `json:"category_ids"`
	// MinSubtotalCents is the goods' total, in Currency, an order needs for the promotion.
	MinSubtotalCents int64      `json:"min_subtotal_cents"`
	StartsAt         time.Time  `json:"starts_at"`
	EndsAt           *time.Time `json:"ends_at"`
	// UsageLimit caps the uses of all customers together; PerCustomerLimit those of one.
	UsageLimit       *int `json:"usage_limit"`
	PerCustomerLimit *int `json:"per_customer_limit"`
	Active           bool `json:"active"`
	// Announce tells opted-in customers about the promotion when it starts.
	Announce bool `json:"announce"`
}

// Promotion is a stored promotion. Uses counts the orders holding or having spent a use; it is
// maintained by checkout and read-only here.
type Promotion struct {
	ID int64 `json:"id"`
	PromotionSpec
	// Percent is PercentBP as a decimal percent ("12.5"), the form admins write it in.
	Percent *string `json:"percent"`
	Uses    int     `json:"uses"`
	// Remaining is UsageLimit - Uses, nil when there is no limit.
	Remaining *int      `json:"remaining"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate checks the rules that tie a promotion's fields together; each field's own range and
// form is the caller's to check. Errors name the field to change.
func (p PromotionSpec) Validate() error {
	switch {
	case p.Kind == PromotionPercent && p.PercentBP == nil:
		return fieldError("percent", "is required when kind is percent")
	case p.Kind != PromotionPercent && p.PercentBP != nil:
		return fieldError("percent", "is only for kind percent")
	case p.Kind == PromotionFixed && p.AmountCents == nil:
		return fieldError("amount_cents", "is required when kind is fixed")
	case p.Kind != PromotionFixed && p.AmountCents != nil:
		return fieldError("amount_cents", "is only for kind fixed")
	case p.Kind == PromotionFixed && p.Currency == nil:
		return fieldError("currency", "is required when kind is fixed")
	case p.MinSubtotalCents > 0 && p.Currency == nil:
		return fieldError("currency", "is required when min_subtotal_cents is set")
	case p.AppliesTo == AppliesToProducts && len(p.ProductIDs) == 0:
		return fieldError("product_ids", "must name at least one product when applies_to is products")
	case p.AppliesTo != AppliesToProducts && len(p.ProductIDs) > 0:
		return fieldError("product_ids", "is only for applies_to products")
	case p.AppliesTo == AppliesToCategories && len(p.CategoryIDs) == 0:
		return fieldError("category_ids", "must name at least one category when applies_to is categories")
	case p.AppliesTo != AppliesToCategories && len(p.CategoryIDs) > 0:
		return fieldError("category_ids", "is only for applies_to categories")
	case p.EndsAt != nil && !p.EndsAt.After(p.StartsAt):
		return fieldError("ends_at", "must be after starts_at")
	}
	return nil
}

const promotionAdminColumns = `id, name, description, code, kind, percent_bp, amount_cents, currency, applies_to, product_ids,
	category_ids, min_subtotal_cents, starts_at, ends_at, usage_limit, per_customer_limit, uses, active, announce,
	created_at, updated_at`

func scanPromotion(row pgx.Row) (Promotion, error) {
	var p Promotion
	err := row.Scan(&p.ID, &p.Name, &p.Description, &p.Code, &p.Kind, &p.PercentBP, &p.AmountCents, &p.Currency,
		&p.AppliesTo, &p.ProductIDs, &p.CategoryIDs, &p.MinSubtotalCents, &p.StartsAt, &p.EndsAt, &p.UsageLimit,
		&p.PerCustomerLimit, &p.Uses, &p.Active, &p.Announce, &p.CreatedAt, &p.UpdatedAt)
	if p.ProductIDs == nil {
		p.ProductIDs = []int64{}
	}
	if p.CategoryIDs == nil {
		p.CategoryIDs = []int64{}
	}
	if p.PercentBP != nil {
		s := FormatScaled(int64(*p.PercentBP), 2)
		p.Percent = &s
	}
	if p.UsageLimit != nil {
		r := max(*p.UsageLimit-p.Uses, 0)
		p.Remaining = &r
	}
	p.StartsAt, p.CreatedAt, p.UpdatedAt = p.StartsAt.UTC(), p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	if p.EndsAt != nil {
		t := p.EndsAt.UTC()
		p.EndsAt = &t
	}
	return p, err
}

// PromotionFilter selects a page of promotions, newest first. Active nil means either; Code
// matches ignoring case; BeforeID is the last id of the previous page (0 for the first).
type PromotionFilter struct {
	Active   *bool
	Code     string
	BeforeID int64
	Limit    int
}

// Promotions returns up to f.Limit promotions, newest (highest id) first.
func (s *Store) Promotions(ctx context.Context, f PromotionFilter) ([]Promotion, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+promotionAdminColumns+` FROM promotions
		WHERE ($1::boolean IS NULL OR active = $1)
		  AND ($2 = '' OR upper(code) = upper($2))
		  AND ($3 = 0 OR id < $3)
		ORDER BY id DESC LIMIT $4`, f.Active, f.Code, f.BeforeID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list promotions: %w", classify(err, "promotion"))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Promotion, error) { return scanPromotion(r) })
	if err != nil {
		return nil, fmt.Errorf("list promotions: %w", classify(err, "promotion"))
	}
	return out, nil
}

// PromotionByID returns one promotion.
func (s *Store) PromotionByID(ctx context.Context, id int64) (Promotion, error) {
	p, err := scanPromotion(s.Pool.QueryRow(ctx, `SELECT `+promotionAdminColumns+` FROM promotions WHERE id = $1`, id))
	if err != nil {
		return Promotion{}, fmt.Errorf("promotion %d: %w", id, classify(err, "promotion"))
	}
	return p, nil
}

// CreatePromotion adds a promotion after checking its rules and that the products and
// categories it names exist. A code taken in any case is a conflict.
func (s *Store) CreatePromotion(ctx context.Context, spec PromotionSpec) (Promotion, error) {
	if err := spec.Validate(); err != nil {
		return Promotion{}, fmt.Errorf("create promotion %q: %w", spec.Name, err)
	}
	var p Promotion
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if err := checkPromotionTargets(ctx, tx, spec.ProductIDs, spec.CategoryIDs); err != nil {
			return err
		}
		var err error
		p, err = scanPromotion(tx.QueryRow(ctx, `INSERT INTO promotions (name, description, code, kind, percent_bp,
				amount_cents, currency, applies_to, product_ids, category_ids, min_subtotal_cents, starts_at, ends_at,
				usage_limit, per_customer_limit, active, announce)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
			RETURNING `+promotionAdminColumns, promotionArgs(spec)...))
		if err != nil {
			return promotionWriteError(err, spec)
		}
		return nil
	})
	if err != nil {
		return Promotion{}, fmt.Errorf("create promotion %q: %w", spec.Name, err)
	}
	return p, nil
}

// UpdatePromotion changes a promotion: apply turns its current spec into the new one (it may
// run more than once, so it must only set fields), whose rules are then checked as a whole.
// A usage limit below the uses already made is a conflict.
func (s *Store) UpdatePromotion(ctx context.Context, id int64, apply func(*PromotionSpec) error) (Promotion, error) {
	var p Promotion
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		// Locking the row makes checkouts taking a use wait, so uses cannot pass the new limit.
		cur, err := scanPromotion(tx.QueryRow(ctx, `SELECT `+promotionAdminColumns+` FROM promotions WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return classify(err, "promotion")
		}
		spec := cur.PromotionSpec
		spec.ProductIDs = append([]int64(nil), spec.ProductIDs...)
		spec.CategoryIDs = append([]int64(nil), spec.CategoryIDs...)
		if err := apply(&spec); err != nil {
			return err
		}
		if err := spec.Validate(); err != nil {
			return err
		}
		if spec.UsageLimit != nil && *spec.UsageLimit < cur.Uses {
			return errs.E(errs.Conflict, "usage_limit %d is below the %d uses promotion %d already has; it can be lowered to %d at least",
				*spec.UsageLimit, cur.Uses, id, cur.Uses).
				WithDetails("fields", map[string]string{"usage_limit": fmt.Sprintf("must be at least %d, the uses so far", cur.Uses)}).
				WithDetails("uses", cur.Uses)
		}
		// Only ids new to the promotion must exist: a category deleted since must not block
		// every later change (deactivating it, say).
		if err := checkPromotionTargets(ctx, tx, added(cur.ProductIDs, spec.ProductIDs), added(cur.CategoryIDs, spec.CategoryIDs)); err != nil {
			return err
		}
		p, err = scanPromotion(tx.QueryRow(ctx, `UPDATE promotions SET name = $1, description = $2, code = $3, kind = $4,
				percent_bp = $5, amount_cents = $6, currency = $7, applies_to = $8, product_ids = $9, category_ids = $10,
				min_subtotal_cents = $11, starts_at = $12, ends_at = $13, usage_limit = $14, per_customer_limit = $15,
				active = $16, announce = $17, updated_at = now()
			WHERE id = $18 RETURNING `+promotionAdminColumns, append(promotionArgs(spec), id)...))
		if err != nil {
			return promotionWriteError(err, spec)
		}
		return nil
	})
	if err != nil {
		return Promotion{}, fmt.Errorf("update promotion %d: %w", id, err)
	}
	return p, nil
}

// DeactivatePromotion stops a promotion from applying to new orders. It is never deleted:
// orders that used it refer to it. Deactivating an inactive promotion changes nothing.
func (s *Store) DeactivatePromotion(ctx context.Context, id int64) error {
	tag, err := s.execInTx(ctx, `UPDATE promotions SET active = false,
			updated_at = CASE WHEN active THEN now() ELSE updated_at END
		WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("deactivate promotion %d: %w", id, classify(err, "promotion"))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("deactivate promotion %d: %w", id, errs.E(errs.NotFound, "promotion not found"))
	}
	return nil
}

func promotionArgs(p PromotionSpec) []any {
	productIDs, categoryIDs := p.ProductIDs, p.CategoryIDs
	if productIDs == nil {
		productIDs = []int64{}
	}
	if categoryIDs == nil {
		categoryIDs = []int64{}
	}
	return []any{p.Name, p.Description, p.Code, p.Kind, p.PercentBP, p.AmountCents, p.Currency, p.AppliesTo,
		productIDs, categoryIDs, p.MinSubtotalCents, p.StartsAt, p.EndsAt, p.UsageLimit, p.PerCustomerLimit,
		p.Active, p.Announce}
}

// checkPromotionTargets fails naming the first product id, then the first category id, that
// does not exist.
func checkPromotionTargets(ctx context.Context, tx pgx.Tx, productIDs, categoryIDs []int64) error {
	for _, t := range []struct {
		ids          []int64
		table, field string
	}{{productIDs, "products", "product_ids"}, {categoryIDs, "categories", "category_ids"}} {
		if len(t.ids) == 0 {
			continue
		}
		var missing int64
		err := tx.QueryRow(ctx, `SELECT t.id FROM unnest($1::bigint[]) WITH ORDINALITY AS t(id, n)
			WHERE NOT EXISTS (SELECT 1 FROM `+t.table+` x WHERE x.id = t.id) ORDER BY t.n LIMIT 1`, t.ids).Scan(&missing)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return classify(err, "promotion")
		default:
			what := "product"
			if t.table == "categories" {
				what = "category"
			}
			return fieldError(t.field, fmt.Sprintf("names %s %d, which does not exist", what, missing)).WithDetails("id", missing)
		}
	}
	return nil
}

// added is the ids in next that are not in prev.
func added(prev, next []int64) []int64 {
	had := make(map[int64]bool, len(prev))
	for _, id := range prev {
		had[id] = true
	}
	var out []int64
	for _, id := range next {
		if !had[id] {
			out = append(out, id)
		}
	}
	return out
}

// promotionWriteError says which rule a promotion write broke. Its conflicts carry no Postgres
// cause: the API would otherwise replace the message with one derived from the constraint's name.
func promotionWriteError(err error, p PromotionSpec) error {
	var pgErr *pgconn.PgError
	switch {
	case isUnique(err, "promotions_code_key"):
		return errs.E(errs.Conflict, "a promotion with code %q already exists (codes are compared ignoring case)", deref(p.Code, "")).
			WithDetails("fields", map[string]string{"code": "is taken"})
	case errors.As(err, &pgErr) && pgErr.ConstraintName == "promotions_uses_within_limit":
		return errs.E(errs.Conflict, "usage_limit is below the uses this promotion already has").
			WithDetails("fields", map[string]string{"usage_limit": "is below the uses so far"})
	}
	return classify(err, "promotion")
}
