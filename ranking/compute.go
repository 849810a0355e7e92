// Package ranking computes the top sellers of every category and every seller's rank from the
// hourly sales rollup in Postgres, publishes them to Redis as JSON documents that readers see
// whole or not at all, and reads them back.
//
// Ranking rules, the same for every path that computes them:
//   - A window is whole hours [From, To). A sale counts under the category and seller it had
//     when it was sold (the rollup's), and under every ancestor of that category: a category's
//     ranking includes all of its descendants.
//   - Products are ranked by units sold (in every currency), then by revenue, then by product
//     id: ties never share a rank. A product's revenue_cents is in its own currency (the
//     catalog's); sales of it in another currency count in units but not in revenue, because
//     amounts in different currencies are never added. In a category that mixes currencies the
//     order is by units; revenue only breaks ties there.
//   - Sellers are ranked by units sold, then by revenue, then by seller id, overall and in every
//     category they sold in (ancestors included). A seller's revenue_cents is in the currency it
//     sold most units in within that scope; `of` is how many sellers that scope ranks. A seller
//     that sold nothing in the window has no rank.
package ranking

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Window is the period a ranking covers: whole hours from From (included) to To (excluded).
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// WindowEnding is the window of length that ends at the start of the hour holding at: a late
// or repeated run for the same hour computes the same window.
func WindowEnding(at time.Time, length time.Duration) Window {
	to := at.UTC().Truncate(time.Hour)
	return Window{From: to.Add(-length), To: to}
}

// Ranking is one computation of every category's top sellers and every seller's standing.
type Ranking struct {
	Window Window
	// GeneratedAt is when the data was read: the time of the database snapshot.
	GeneratedAt time.Time
	// Categories holds every category, by id; those with no sales have no products.
	Categories []CategoryRanking
	// Sellers holds every seller that sold in the window, by id.
	Sellers []SellerRanking
	// RankedSellers is how many sellers have an overall rank (the overall `of`).
	RankedSellers int
}

// CategoryRanking is one category's top products.
type CategoryRanking struct {
	CategoryID int64
	Products   []Product
}

// Product is one ranked product of a category.
type Product struct {
	Rank         int    `json:"rank"`
	ProductID    int64  `json:"product_id"`
	Name         string `json:"name"`
	Units        int64  `json:"units"`
	RevenueCents int64  `json:"revenue_cents"`
	Currency     string `json:"currency"`
}

// SellerRanking is one seller's standing overall and in each category it sold in.
type SellerRanking struct {
	SellerID   string
	Overall    Standing
	Categories []CategoryStanding
}

// Standing is a seller's place among the sellers of one scope.
type Standing struct {
	Rank         int    `json:"rank"`
	Of           int    `json:"of"`
	Units        int64  `json:"units"`
	RevenueCents int64  `json:"revenue_cents"`
	Currency     string `json:"currency"`
}

// CategoryStanding is a seller's standing within one category (descendants included).
type CategoryStanding struct {
	CategoryID int64 `json:"category_id"`
	Standing
}

// DB is what computing needs of Postgres: a *pgxpool.Pool or a *pgx.Conn.
type DB interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// ErrUnknownSeller means ComputeSeller was asked about a seller that does not exist.
var ErrUnknownSeller = errors.New("no such seller")

// Compute ranks every category's top n products and every seller over the window, reading the
// hourly rollup only: its cost grows with hours × products sold, not with the raw sales. All
// statements read one snapshot, so categories and sellers always agree.
func Compute(ctx context.Context, db DB, w Window, n int) (Ranking, error) {
	if err := check(w, n); err != nil {
		return Ranking{}, err
	}
	r := Ranking{Window: w}
	err := inSnapshot(ctx, db, func(tx pgx.Tx) error {
		var err error
		if r.GeneratedAt, err = snapshotTime(ctx, tx); err != nil {
			return err
		}
		if r.Categories, err = categories(ctx, tx); err != nil {
			return err
		}
		if err := topProducts(ctx, tx, w, n, nil, r.Categories); err != nil {
			return err
		}
		r.Sellers, r.RankedSellers, err = sellerStandings(ctx, tx, w, nil)
		return err
	})
	if err != nil {
		return Ranking{}, fmt.Errorf("compute top sellers for %s..%s: %w", w.From.Format(time.RFC3339), w.To.Format(time.RFC3339), err)
	}
	return r, nil
}

// ComputeCategory is one category's part of Compute, for a reader that finds nothing
// published. A category that does not exist gets an empty ranking.
func ComputeCategory(ctx context.Context, db DB, w Window, n int, categoryID int64) (CategoryRanking, time.Time, error) {
	if err := check(w, n); err != nil {
		return CategoryRanking{}, time.Time{}, err
	}
	out := []CategoryRanking{{CategoryID: categoryID}}
	var at time.Time
	err := inSnapshot(ctx, db, func(tx pgx.Tx) error {
		var err error
		if at, err = snapshotTime(ctx, tx); err != nil {
			return err
		}
		return topProducts(ctx, tx, w, n, &categoryID, out)
	})
	if err != nil {
		return CategoryRanking{}, time.Time{}, fmt.Errorf("compute top sellers of category %d: %w", categoryID, err)
	}
	return out[0], at, nil
}

// ComputeSeller is one seller's part of Compute, for a reader that finds nothing published.
// It also returns how many sellers are ranked overall; a seller that exists but sold nothing
// in the window gets a zero SellerRanking. ErrUnknownSeller when the seller does not exist.
func ComputeSeller(ctx context.Context, db DB, w Window, sellerID string) (SellerRanking, int, time.Time, error) {
	if err := check(w, 1); err != nil {
		return SellerRanking{}, 0, time.Time{}, err
	}
	var (
		sellers []SellerRanking
		ranked  int
		at      time.Time
	)
	err := inSnapshot(ctx, db, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sellers WHERE id = $1)`, sellerID).Scan(&exists); err != nil {
			return fmt.Errorf("look up seller: %w", err)
		}
		if !exists {
			return ErrUnknownSeller
		}
		var err error
		if at, err = snapshotTime(ctx, tx); err != nil {
			return err
		}
		sellers, ranked, err = sellerStandings(ctx, tx, w, &sellerID)
		return err
	})
	if err != nil {
		return SellerRanking{}, 0, time.Time{}, fmt.Errorf("rank seller %s: %w", sellerID, err)
	}
	if len(sellers) == 0 {
		return SellerRanking{SellerID: sellerID}, ranked, at, nil
	}
	return sellers[0], ranked, at, nil
}

// CategoryIDs lists every category's id, in order, for readers that must tell an unknown
// category from one without sales.
func CategoryIDs(ctx context.Context, db DB) ([]int64, error) {
	var ids []int64
	err := inSnapshot(ctx, db, func(tx pgx.Tx) error {
		cs, err := categories(ctx, tx)
		for _, c := range cs {
			ids = append(ids, c.CategoryID)
		}
		return err
	})
	return ids, err
}

// SellerExists reports whether the seller exists, for readers that find no document of it.
func SellerExists(ctx context.Context, db DB, sellerID string) (bool, error) {
	var exists bool
	err := inSnapshot(ctx, db, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sellers WHERE id = $1)`, sellerID).Scan(&exists)
	})
	if err != nil {
		return false, fmt.Errorf("look up seller %s: %w", sellerID, err)
	}
	return exists, nil
}

func check(w Window, n int) error {
	if !w.From.Before(w.To) {
		return fmt.Errorf("window %s..%s is empty", w.From, w.To)
	}
	if n < 1 {
		return fmt.Errorf("top %d: must keep at least one product", n)
	}
	return nil
}

// inSnapshot runs fn in a read-only repeatable-read transaction: one snapshot for every
// statement, and nothing to roll back. The statements are short aggregations over a few
// hundred thousand rows, planned for far more (the category closure defeats the estimates):
// JIT compilation would cost more than it saves (half a second on 10 million sales), and
// sorts fit in memory with a little more of it.
func inSnapshot(ctx context.Context, db DB, fn func(pgx.Tx) error) error {
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly,
		BeginQuery: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL jit = off; SET LOCAL work_mem = '64MB'"})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only: nothing to lose
	return fn(tx)
}

func snapshotTime(ctx context.Context, tx pgx.Tx) (time.Time, error) {
	var at time.Time
	if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("snapshot time: %w", err)
	}
	return at.UTC(), nil
}

func categories(ctx context.Context, tx pgx.Tx) ([]CategoryRanking, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM categories ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	out := make([]CategoryRanking, len(ids))
	for i, id := range ids {
		out[i] = CategoryRanking{CategoryID: id, Products: []Product{}}
	}
	return out, nil
}

// categoryClosure pairs every category (ancestor) with itself and each of its descendants
// (id). The CYCLE clause stops a corrupt tree from recursing forever; the store refuses cycles.
func categoryClosure(anchor string) string {
	return `WITH RECURSIVE tree (ancestor, id) AS (
		` + anchor + `
	  UNION ALL
		SELECT t.ancestor, c.id FROM tree t JOIN categories c ON c.parent_id = t.id
	) CYCLE id SET cyclic USING path`
}

// netOfRefunds is the window's sales rows less its refunds (counted in the hour they were
// refunded, as reports count them), so a product sold and returned does not keep its rank.
// cols are the grouping columns, both tables have them; near narrows both to the categories.
func netOfRefunds(cols, near string) string {
	return `SELECT ` + cols + `, units, revenue_cents AS revenue
		FROM sales_hourly WHERE hour >= $1 AND hour < $2 ` + near + `
	  UNION ALL
		SELECT ` + cols + `, -units, -refund_cents
		FROM refunds_hourly WHERE hour >= $1 AND hour < $2 ` + near
}

// topProductsSQL ranks products per category. $1, $2: the window; $3: how many to keep; $4,
// with one category only: that category.
func topProductsSQL(one bool) string {
	anchor, near := `SELECT id, id FROM categories`, ``
	if one {
		anchor = `SELECT id, id FROM categories WHERE id = $4`
		near = `AND category_id IN (SELECT id FROM tree)` // use the (category_id, hour) index
	}
	return categoryClosure(anchor) + `,
	sold AS (
		SELECT category_id, product_id, currency, sum(units) AS units, sum(revenue) AS revenue
		FROM (` + netOfRefunds("category_id, product_id, currency", near) + `) x
		GROUP BY category_id, product_id, currency
	),
	totals AS (
		SELECT t.ancestor AS category_id, p.id AS product_id, p.name, p.currency,
		       sum(s.units) AS units,
		       coalesce(sum(s.revenue) FILTER (WHERE s.currency = p.currency), 0) AS revenue
		FROM sold s
		JOIN tree t ON t.id = s.category_id AND NOT t.cyclic
		JOIN products p ON p.id = s.product_id
		GROUP BY t.ancestor, p.id
	),
	ranked AS (
		SELECT *, row_number() OVER (PARTITION BY category_id ORDER BY units DESC, revenue DESC, product_id) AS rank
		FROM totals WHERE units > 0
	)
	SELECT category_id, rank, product_id, name, units, least(revenue, 9223372036854775807)::bigint, currency
	FROM ranked WHERE rank <= $3
	ORDER BY category_id, rank`
}

// topProducts fills into (sorted by category id) with each category's top n products.
func topProducts(ctx context.Context, tx pgx.Tx, w Window, n int, only *int64, into []CategoryRanking) error {
	args := []any{w.From, w.To, n}
	if only != nil {
		args = append(args, *only)
	}
	rows, err := tx.Query(ctx, topProductsSQL(only != nil), args...)
	if err != nil {
		return fmt.Errorf("rank products: %w", err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var (
			categoryID int64
			p          Product
		)
		if err := rows.Scan(&categoryID, &p.Rank, &p.ProductID, &p.Name, &p.Units, &p.RevenueCents, &p.Currency); err != nil {
			return fmt.Errorf("rank products: %w", err)
		}
		for i < len(into) && into[i].CategoryID < categoryID {
			i++
		}
		if i == len(into) || into[i].CategoryID != categoryID {
			continue // created after the category list was read: not in this snapshot's list
		}
		into[i].Products = append(into[i].Products, p)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rank products: %w", err)
	}
	for i := range into {
		if into[i].Products == nil {
			into[i].Products = []Product{}
		}
	}
	return nil
}

// sellerStandingsSQL ranks sellers overall (scope 0; category ids start at 1) and per category.
// $1, $2: the window; $3, when given: return only that seller's rows (ranked among all).
func sellerStandingsSQL(one bool) string {
	filter := ``
	if one {
		filter = `WHERE seller_id = $3`
	}
	return categoryClosure(`SELECT id, id FROM categories`) + `,
	sold AS (
		SELECT seller_id, category_id, currency, sum(units) AS units, sum(revenue) AS revenue
		FROM (` + netOfRefunds("seller_id, category_id, currency", "") + `) x
		GROUP BY seller_id, category_id, currency
	),
	scoped AS (
		SELECT 0::bigint AS scope, seller_id, currency, sum(units) AS units, sum(revenue) AS revenue
		FROM sold GROUP BY seller_id, currency
	  UNION ALL
		SELECT t.ancestor, s.seller_id, s.currency, sum(s.units), sum(s.revenue)
		FROM sold s JOIN tree t ON t.id = s.category_id AND NOT t.cyclic
		GROUP BY t.ancestor, s.seller_id, s.currency
	),
	totals AS (
		-- revenue in the currency of most units (then most revenue, then by code)
		SELECT scope, seller_id, sum(units) AS units,
		       (array_agg(revenue ORDER BY units DESC, revenue DESC, currency))[1] AS revenue,
		       (array_agg(currency ORDER BY units DESC, revenue DESC, currency))[1] AS currency
		FROM scoped GROUP BY scope, seller_id HAVING sum(units) > 0
	),
	ranked AS (
		SELECT scope, seller_id, units, revenue, currency,
		       row_number() OVER (PARTITION BY scope ORDER BY units DESC, revenue DESC, seller_id) AS rank,
		       count(*) OVER (PARTITION BY scope) AS of
		FROM totals
	)
	SELECT scope, seller_id::text, rank, of, units, least(revenue, 9223372036854775807)::bigint, currency
	FROM ranked ` + filter + `
	ORDER BY seller_id, scope`
}

// sellerStandings returns the sellers' standings (by seller id) and how many are ranked overall.
func sellerStandings(ctx context.Context, tx pgx.Tx, w Window, only *string) ([]SellerRanking, int, error) {
	args := []any{w.From, w.To}
	if only != nil {
		args = append(args, *only)
	}
	rows, err := tx.Query(ctx, sellerStandingsSQL(only != nil), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("rank sellers: %w", err)
	}
	defer rows.Close()
	var (
		out    []SellerRanking
		ranked int
	)
	for rows.Next() {
		var (
			scope    int64
			sellerID string
			s        Standing
		)
		if err := rows.Scan(&scope, &sellerID, &s.Rank, &s.Of, &s.Units, &s.RevenueCents, &s.Currency); err != nil {
			return nil, 0, fmt.Errorf("rank sellers: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].SellerID != sellerID {
			out = append(out, SellerRanking{SellerID: sellerID, Categories: []CategoryStanding{}})
		}
		cur := &out[len(out)-1]
		if scope == 0 {
			cur.Overall = s
			ranked = s.Of
			continue
		}
		cur.Categories = append(cur.Categories, CategoryStanding{CategoryID: scope, Standing: s})
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("rank sellers: %w", err)
	}
	if only != nil && ranked == 0 {
		// The seller sold nothing, so its rows told nothing of the others: count them.
		if err := tx.QueryRow(ctx, `SELECT count(DISTINCT seller_id) FROM sales_hourly WHERE hour >= $1 AND hour < $2`,
			w.From, w.To).Scan(&ranked); err != nil {
			return nil, 0, fmt.Errorf("count ranked sellers: %w", err)
		}
	}
	return out, ranked, nil
}
