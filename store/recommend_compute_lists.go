package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// RecsDirty is a product whose list must be recomputed, as marked at Seq.
type RecsDirty struct {
	ProductID int64
	Seq       int64
}

// MarkAllRecsDirty marks every product with counts for republishing (a full refresh, which
// also catches products archived, or out of or back in stock, since their lists were written).
func (s *Store) MarkAllRecsDirty(ctx context.Context) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `
		INSERT INTO recs_dirty AS d (product_id)
		SELECT product_id FROM recs_items ORDER BY product_id
		ON CONFLICT (product_id) DO UPDATE SET seq = nextval('recs_dirty_seq')`)
	if err != nil {
		return 0, fmt.Errorf("mark every recommendation list: %w", err)
	}
	return tag.RowsAffected(), nil
}

// RecsDirtyAfter returns up to limit marked products with ids above after, in id order.
func (s *Store) RecsDirtyAfter(ctx context.Context, after int64, limit int) ([]RecsDirty, error) {
	rows, err := s.Pool.Query(ctx, `
		SELECT product_id, seq FROM recs_dirty WHERE product_id > $1 ORDER BY product_id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read marked recommendation lists: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[RecsDirty])
	if err != nil {
		return nil, fmt.Errorf("read marked recommendation lists: %w", err)
	}
	return out, nil
}

// ClearRecsDirty unmarks the products as read, records which of them now have a list (listed),
// and leaves marked those marked again since (a later seq): the next chunk or run gets them.
func (s *Store) ClearRecsDirty(ctx context.Context, done []RecsDirty, listed map[int64]bool) error {
	ids := make([]int64, len(done))
	seqs := make([]int64, len(done))
	flags := make([]bool, len(done))
	for i, d := range done {
		ids[i], seqs[i], flags[i] = d.ProductID, d.Seq, listed[d.ProductID]
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			UPDATE recs_items i SET listed = u.listed
			FROM unnest($1::bigint[], $2::boolean[]) u(product_id, listed)
			WHERE i.product_id = u.product_id AND i.listed <> u.listed`, ids, flags); err != nil {
			return fmt.Errorf("record listed products: %w", err)
		}
		if _, err := tx.Exec(ctx, `
			DELETE FROM recs_dirty d USING unnest($1::bigint[], $2::bigint[]) u(product_id, seq)
			WHERE d.product_id = u.product_id AND d.seq = u.seq`, ids, seqs); err != nil {
			return fmt.Errorf("unmark products: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("clear %d recommendation marks: %w", len(done), err)
	}
	return nil
}

// RecsListed is how many products have a published list.
func (s *Store) RecsListed(ctx context.Context) (int, error) {
	var n int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM recs_items WHERE listed`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count listed products: %w", err)
	}
	return n, nil
}

// AlsoBoughtRow is one entry of a product's "also bought" list.
type AlsoBoughtRow struct {
	ProductID int64 // whose list
	OtherID   int64 // the recommended product
	Score     float64
	Support   int64
}

// AlsoBoughtLists computes the lists of products, best first, at most n each: partners with at
// least minSupport orders in common, scored by cosine similarity, support / sqrt(orders(a) *
// orders(b)) (a pair seen in one order is never enough: the literal >= 2 lets the partial
// support indexes serve the query), so a bestseller that sits in every basket scores low beside a product it is not
// especially bought with. Ties go to the lower product id. Archived and out-of-stock products
// are never recommended, and archived products get no list. Products missing from the result
// have an empty list.
func (s *Store) AlsoBoughtLists(ctx context.Context, products []int64, minSupport, n int) ([]AlsoBoughtRow, error) {
	rows, err := s.Pool.Query(ctx, `
		WITH owners AS (
			SELECT i.product_id, i.orders FROM recs_items i JOIN products p ON p.id = i.product_id
			WHERE i.product_id = ANY($1) AND p.status <> 'archived'),
		candidates AS (
			SELECT o.product_id, o.orders AS owner_orders, pr.product_b AS other_id, pr.orders AS support
			FROM owners o JOIN recs_pairs pr ON pr.product_a = o.product_id WHERE pr.orders >= $2 AND pr.orders >= 2
			UNION ALL
			SELECT o.product_id, o.orders, pr.product_a, pr.orders
			FROM owners o JOIN recs_pairs pr ON pr.product_b = o.product_id WHERE pr.orders >= $2 AND pr.orders >= 2),
		scored AS (
			SELECT c.product_id, c.other_id, c.support,
			       c.support / sqrt(c.owner_orders::float8 * i.orders) AS score
			FROM candidates c
			JOIN recs_items i ON i.product_id = c.other_id
			JOIN products p ON p.id = c.other_id AND p.status = 'active'
			JOIN inventory inv ON inv.product_id = c.other_id AND inv.on_hand - inv.reserved > 0),
		ranked AS (
			SELECT *, row_number() OVER (PARTITION BY product_id ORDER BY score DESC, other_id) AS rank FROM scored)
		SELECT product_id, other_id, score, support FROM ranked WHERE rank <= $3 ORDER BY product_id, rank`,
		products, minSupport, n)
	if err != nil {
		return nil, fmt.Errorf("compute also-bought lists of %d products: %w", len(products), err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[AlsoBoughtRow])
	if err != nil {
		return nil, fmt.Errorf("compute also-bought lists of %d products: %w", len(products), err)
	}
	return out, nil
}
