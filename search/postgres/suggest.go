package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"shopflow/search"
)

// Suggest completes prefix with up to limit suggestions: active products with a name word
// starting with each word of prefix (in-stock best sellers first, ties by id), then
// categories whose name has such words (names starting with prefix first). Categories keep up
// to a third of the slots (at least one of two or more) so a broad prefix still offers them;
// slots either leaves go to the other.
func (s *Searcher) Suggest(ctx context.Context, prefix string, limit int) ([]search.Suggestion, error) {
	words := splitWords(prefix)
	out := []search.Suggestion{}
	if len(words) == 0 || limit <= 0 {
		return out, nil
	}
	limit = min(limit, search.MaxPageSize)
	var all []search.Suggestion
	args := suggestArgs(words, limit)
	err := queryLocal(ctx, s.pool(ctx), suggestSQL, args, func(rows pgx.Rows) error {
		var err error
		all, err = pgx.CollectRows(rows, pgx.RowToStructByPos[search.Suggestion])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("suggest %q: %w", prefix, err)
	}
	var products, categories []search.Suggestion
	for _, sg := range all {
		if sg.Kind == "product" {
			products = append(products, sg)
		} else {
			categories = append(categories, sg)
		}
	}
	nProducts := min(len(products), limit-min(len(categories), categorySlots(limit)))
	nCategories := min(len(categories), limit-nProducts)
	return append(append(out, products[:nProducts]...), categories[:nCategories]...), nil
}

// suggestArgs are suggestSQL's arguments.
func suggestArgs(words []string, limit int) []any {
	last := len(words) - 1
	return []any{prefixQuery(words, ""), prefixQuery(words, "A"), limit, strings.Join(words, " ") + "%",
		words[:last], words[last] + "%"}
}

// categorySlots is how many of limit suggestions categories may take.
func categorySlots(limit int) int {
	if limit < 2 {
		return 0
	}
	return max(1, limit/3)
}

// suggestSQL answers a prefix in bounded time however many products match ($1 the prefix as a
// tsquery, $2 the same on names, $3 the limit, $4 the prefix as a LIKE pattern for category
// names, $5 the words before the last, $6 the last word as a LIKE pattern).
//
// A broad prefix ("s" starts words in half the names) is answered by walking the 1,000 best
// sellers in order (product_search_stats_units_idx) and keeping in-stock products whose name
// matches (weight A of products.search holds the name's words), which stops after limit hits.
// Otherwise, or when the walk finds fewer than limit or reaches products that never sold
// (which tie with products that have no stats row), every match is sorted: found through
// products_name_words_idx (whose expression and predicate the WHERE clause repeats), with
// stock and sales looked up per match rather than by hashing both whole tables.
//
// A prefix counts as broad when the walk should find limit hits twice over: when matches are
// at least 2 * limit / 1,000 of the products. Matches are estimated from search_terms, which
// counts the active products whose names hold each word, taking the words as independent (the
// product of their shares): the rarer word's count alone made "white fl" look broad, and the
// walk then found 1 of 8 before sorting anyway. A wrong estimate only picks the slower path;
// both find the same products.
const suggestSQL = `
	WITH estimate AS (
		SELECT exp(sum(ln(greatest(d.docs, 0.5) / greatest(n.total, 1)))) * 1000 >= 2 * $3 AS broad
		FROM (SELECT reltuples AS total FROM pg_class WHERE oid = 'products'::regclass) n, (
			SELECT (SELECT coalesce(sum(t.docs), 0) FROM search_terms t WHERE t.term = w) AS docs FROM unnest($5::text[]) AS w
			UNION ALL
			SELECT coalesce(sum(t.docs), 0) FROM search_terms t WHERE t.term LIKE $6
		) d
	), walk AS (
		SELECT st.product_id AS id, p.name, st.units_sold
		FROM (SELECT product_id, units_sold FROM product_search_stats WHERE (SELECT broad FROM estimate)
			ORDER BY units_sold DESC, product_id LIMIT 1000) st
		CROSS JOIN LATERAL (SELECT p.name FROM products p WHERE p.id = st.product_id AND p.status = 'active'
			AND p.search @@ to_tsquery('simple', $2) OFFSET 0) p
		WHERE (SELECT i.on_hand - i.reserved > 0 FROM inventory i WHERE i.product_id = st.product_id)
		ORDER BY st.units_sold DESC, st.product_id
		LIMIT $3
	), walked AS (
		SELECT count(*) = $3 AND min(units_sold) > 0 AS enough FROM walk
	)
	SELECT kind, id, name FROM (
		SELECT 1 AS part, row_number() OVER () AS n, 'product' AS kind, id, name
		FROM walk WHERE (SELECT enough FROM walked)
		UNION ALL
		SELECT 2, row_number() OVER (), 'product', id, name FROM (
			SELECT p.id, p.name FROM products p
			WHERE NOT (SELECT enough FROM walked)
				AND p.status = 'active' AND to_tsvector('simple', p.name) @@ to_tsquery('simple', $1)
			ORDER BY coalesce((SELECT i.on_hand - i.reserved > 0 FROM inventory i WHERE i.product_id = p.id), false) DESC,
				coalesce((SELECT st.units_sold FROM product_search_stats st WHERE st.product_id = p.id), 0) DESC, p.id
			LIMIT $3) sorted
		UNION ALL
		SELECT 3, row_number() OVER (), 'category', id, name FROM (
			SELECT c.id, c.name FROM categories c
			WHERE to_tsvector('simple', c.name) @@ to_tsquery('simple', $1)
			ORDER BY lower(c.name) LIKE $4 DESC, c.name, c.id
			LIMIT $3) named
	) s ORDER BY part, n`
