package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/search"
)

// Catalog reads products as search.Documents for an external index, and keeps the search
// tables (the vocabulary, units sold) that both backends read. It reads the primary: the
// indexer reads a product right after its change and must not index an older version.
type Catalog struct{ Pool *pgxpool.Pool }

// Documents returns the documents of the products with ids, in any status, by id. Ids with no
// product are skipped, so a caller indexing a deleted product learns to delete it.
func (c *Catalog) Documents(ctx context.Context, ids []int64) ([]search.Document, error) {
	docs, err := c.read(ctx, `SELECT `+docColumns+` FROM products WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("read %d search documents: %w", len(ids), err)
	}
	return docs, nil
}

// Chunk returns up to limit documents of the products after afterID, by id, for a reindex.
func (c *Catalog) Chunk(ctx context.Context, afterID int64, limit int) ([]search.Document, error) {
	docs, err := c.read(ctx, `SELECT `+docColumns+` FROM products WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("read search documents after %d: %w", afterID, err)
	}
	return docs, nil
}

// Count is how many documents a full reindex must hold: every product, in any status.
func (c *Catalog) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := c.Pool.QueryRow(ctx, `SELECT count(*) FROM products`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count search documents: %w", err)
	}
	return n, nil
}

// RefreshTerms rebuilds the search_terms vocabulary that typo correction uses; searches keep
// reading the old one meanwhile.
func (c *Catalog) RefreshTerms(ctx context.Context) error {
	if _, err := c.Pool.Exec(ctx, `REFRESH MATERIALIZED VIEW CONCURRENTLY search_terms`); err != nil {
		return fmt.Errorf("refresh search terms: %w", err)
	}
	return nil
}

// UpdateSales sets each existing product's units_sold to its units in sales_hourly with
// from <= hour < to, and products that sold nothing in the window to 0. Rows whose value does
// not change are not written, since every write queues an index change (by trigger); changed
// says how many were. Rows are inserted in product id order, so two runs lock alike.
func (c *Catalog) UpdateSales(ctx context.Context, from, to time.Time) (int64, error) {
	var changed int64
	err := c.Pool.QueryRow(ctx, `
		WITH sold AS (
			SELECT h.product_id, sum(h.units)::bigint AS units
			FROM sales_hourly h
			WHERE h.hour >= $1 AND h.hour < $2 AND EXISTS (SELECT 1 FROM products p WHERE p.id = h.product_id)
			GROUP BY h.product_id
			HAVING sum(h.units) > 0
		), zeroed AS (
			UPDATE product_search_stats st SET units_sold = 0, updated_at = now()
			WHERE st.units_sold <> 0 AND NOT EXISTS (SELECT 1 FROM sold WHERE sold.product_id = st.product_id)
			RETURNING 1
		), set AS (
			INSERT INTO product_search_stats AS st (product_id, units_sold)
			SELECT product_id, units FROM sold ORDER BY product_id
			ON CONFLICT (product_id) DO UPDATE SET units_sold = excluded.units_sold, updated_at = now()
				WHERE st.units_sold <> excluded.units_sold
			RETURNING 1
		)
		SELECT (SELECT count(*) FROM zeroed) + (SELECT count(*) FROM set)`, from, to).Scan(&changed)
	if err != nil {
		return 0, fmt.Errorf("update units sold from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return changed, nil
}

// docColumns are the columns of products that documents are made of.
const docColumns = `id, name, description, category_id, seller_id, price_cents, currency, attributes, status, created_at`

// read returns the documents of the products that productsSQL selects (docColumns).
//
// Every document carries the xmax of the snapshot the statement read it at
// (pg_snapshot_xmax(pg_current_snapshot()) is the statement's own snapshot). xmax is the
// first transaction id not yet assigned when the snapshot was taken, and ids are assigned in
// increasing order, so a snapshot taken later never has a lower xmax: a later read carries a
// version at least as high, and an index that drops lower versions never lets an older read
// overwrite a newer one. Two reads can carry the same version (a transaction running during
// the first commits before the second with no new id assigned between), so equal versions
// must be accepted.
func (c *Catalog) read(ctx context.Context, productsSQL string, args ...any) ([]search.Document, error) {
	rows, err := c.Pool.Query(ctx, `
		WITH RECURSIVE docs AS (`+productsSQL+`), up AS (
			SELECT c.id AS leaf, c.id, c.parent_id, c.name, 0 AS depth
			FROM categories c WHERE c.id IN (SELECT category_id FROM docs)
			UNION ALL
			SELECT up.leaf, c.id, c.parent_id, c.name, up.depth + 1
			FROM up JOIN categories c ON c.id = up.parent_id WHERE up.depth < 100
		), paths AS (
			SELECT leaf, array_agg(id ORDER BY depth) AS ids, array_agg(name ORDER BY depth) AS names
			FROM up GROUP BY leaf
		)
		SELECT d.id, d.name, d.description, d.category_id, pa.ids, pa.names, d.seller_id::text, s.store_name,
			d.price_cents, d.currency, (
				SELECT coalesce(jsonb_object_agg(kv.key, kv.vals), '{}') FROM (
					SELECT a.key, (SELECT jsonb_agg(v.value) FROM `+attributeValues("a.value")+` v) AS vals
					FROM jsonb_each(d.attributes) a) kv
				WHERE kv.vals IS NOT NULL),
			d.status, `+inStock+`, coalesce(st.units_sold, 0), st.rating_avg::float8, coalesce(st.rating_count, 0),
			d.created_at, pg_snapshot_xmax(pg_current_snapshot())::text
		FROM docs d
		JOIN sellers s ON s.id = d.seller_id
		JOIN paths pa ON pa.leaf = d.category_id
		LEFT JOIN inventory i ON i.product_id = d.id
		LEFT JOIN product_search_stats st ON st.product_id = d.id
		ORDER BY d.id`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanDocument)
}

func scanDocument(row pgx.CollectableRow) (search.Document, error) {
	var d search.Document
	var version string
	err := row.Scan(&d.ID, &d.Name, &d.Description, &d.CategoryID, &d.CategoryPath, &d.CategoryNames, &d.SellerID,
		&d.StoreName, &d.PriceCents, &d.Currency, &d.Attributes, &d.Status, &d.InStock, &d.UnitsSold, &d.RatingAvg,
		&d.RatingCount, &d.CreatedAt, &version)
	if err != nil {
		return d, err
	}
	d.CategoryName = d.CategoryNames[0]
	if d.Version, err = strconv.ParseUint(version, 10, 64); err != nil {
		return d, fmt.Errorf("document %d version %q: %w", d.ID, version, err)
	}
	return d, nil
}
