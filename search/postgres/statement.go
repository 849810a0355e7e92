package postgres

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"shopflow/search"
)

// statement collects the arguments of a statement being built.
type statement struct{ args []any }

// arg adds v and returns its placeholder.
func (s *statement) arg(v any) string {
	s.args = append(s.args, v)
	return "$" + strconv.Itoa(len(s.args))
}

// facetFilter is a filter that has a facet: the matches carry whether each row passes it, so
// that facet can count rows that fail it alone (disjunctive facets) while hits need them all.
type facetFilter struct {
	column string // boolean column of matches
	cond   string // condition on products p, inventory i
}

// searchSQL builds the one statement that answers q for words: a materialized CTE of the
// active products matching the text and the filters without facets, then the page, the total
// and every facet counted from it, returned as one JSON object (see decodeResult).
func searchSQL(q search.Query, words []string) (string, []any) {
	var s statement
	subtree, facets, keys := facetFilters(&s, q)
	order := orderBy(q.Sort, len(words) > 0)
	sql := `WITH RECURSIVE ` + subtree + matchesCTE(&s, q, words, facets) + `, page AS (
		SELECT * FROM matches m WHERE ` + conds(facets, all) + `
		ORDER BY ` + order("m") + ` LIMIT ` + s.arg(q.Limit) + ` OFFSET ` + s.arg(q.Offset) + `
	), ` + attributeCTEs(&s, facets, keys) + `
	SELECT json_build_object(
		'hits', ` + hitsJSON(order("pg")) + `,
		'total', (SELECT count(*) FROM (SELECT 1 FROM matches WHERE ` + conds(facets, all) + `
			LIMIT ` + strconv.Itoa(search.MaxTotal+1) + `) t),
		'categories', ` + categoriesJSON(conds(facets, except("f_category"))) + `,
		'prices', ` + pricesJSON(&s, conds(facets, except("f_price"))) + `,
		'stock', (SELECT json_build_object('in', count(*) FILTER (WHERE in_stock), 'out', count(*) FILTER (WHERE NOT in_stock))
			FROM matches WHERE ` + conds(facets, except("f_stock")) + `),
		'attributes', ` + attributesJSON() + `)`
	return sql, s.args
}

// facetFilters returns q's filters that have a facet (category, price, stock, each selected
// attribute key), the CTE of the category's subtree when q has one, and the selected keys.
func facetFilters(s *statement, q search.Query) (subtree string, facets []facetFilter, keys []string) {
	if q.CategoryID != 0 {
		subtree = `subtree AS (
			SELECT id FROM categories WHERE id = ` + s.arg(q.CategoryID) + `
			UNION SELECT c.id FROM categories c JOIN subtree t ON c.parent_id = t.id
		), `
		facets = append(facets, facetFilter{"f_category", "p.category_id IN (SELECT id FROM subtree)"})
	}
	if price := priceCond(s, q.MinPrice, q.MaxPrice); price != "" {
		facets = append(facets, facetFilter{"f_price", price})
	}
	if q.InStock != nil {
		facets = append(facets, facetFilter{"f_stock", "(" + inStock + ") = " + s.arg(*q.InStock)})
	}
	keys = selectedKeys(q.Attributes)
	for n, key := range keys {
		cond := fmt.Sprintf("EXISTS (SELECT 1 FROM %s v WHERE v.value = ANY(%s::text[]))",
			attributeValues("p.attributes -> "+s.arg(key)), s.arg(q.Attributes[key]))
		facets = append(facets, facetFilter{"f_attr" + strconv.Itoa(n), cond})
	}
	return subtree, facets, keys
}

// matchesCTE selects the matches: every column the page, the total and the facets read, a
// boolean per facet filter, and attributes only where the attribute facets will count them.
// A row failing two facet filters counts in no facet and is left out.
//
// The products are read in a subquery that the planner must not merge (OFFSET 0), so the rank
// is computed before the joins and the rows joined to stock are narrow, without the search
// document: 20% faster for a word in 11,500 of 100,000 products.
func matchesCTE(s *statement, q search.Query, words []string, facets []facetFilter) string {
	product, rank := productConds(s, q, words)
	where, extra, joins := joinedConds(s, q)
	var cols strings.Builder
	for _, f := range facets {
		fmt.Fprintf(&cols, ", %s AS %s", f.cond, f.column)
	}
	if len(facets) > 1 {
		failed := make([]string, len(facets))
		for n, f := range facets {
			failed[n] = "(NOT coalesce(" + f.cond + ", false))::int"
		}
		where = append(where, strings.Join(failed, " + ")+" <= 1")
	}
	return `matches AS MATERIALIZED (
		SELECT p.id, p.category_id, p.price_cents, p.created_at, p.rank, ` + inStock + ` AS in_stock` + extra + cols.String() + `,
			CASE WHEN ` + condExprs(facets, nonAttribute) + ` THEN p.attributes END AS attributes
		FROM (SELECT p.id, p.category_id, p.price_cents, p.created_at, p.attributes, ` + rank + ` AS rank
			FROM products p WHERE ` + strings.Join(product, " AND ") + ` OFFSET 0) p
		LEFT JOIN inventory i ON i.product_id = p.id` + joins + `
		WHERE ` + strings.Join(where, " AND ") + `
	)`
}

// inStock is whether a product can be sold now; a product without an inventory row cannot.
const inStock = `coalesce(i.on_hand - i.reserved, 0) > 0`

// productConds returns the conditions on products alone (active, text, seller) and the rank:
// 0 unless q is ordered by relevance of its text.
func productConds(s *statement, q search.Query, words []string) (where []string, rank string) {
	where, rank = []string{"p.status = 'active'"}, "0"
	if len(words) > 0 {
		query := "to_tsquery('simple', " + s.arg(prefixQuery(words, "")) + ")"
		where = append(where, "p.search @@ "+query)
		if q.Sort == "" || q.Sort == search.SortRelevance {
			rank = textRank(s, words, query)
		}
	}
	if q.SellerID != "" {
		where = append(where, "p.seller_id = "+s.arg(q.SellerID)+"::uuid")
	}
	return where, rank
}

// joinedConds returns the conditions that need stock or stats, the extra columns the sort
// needs and the join those need; stats are joined only when used, since every column costs
// once per match.
func joinedConds(s *statement, q search.Query) (where []string, extra, joins string) {
	where = []string{"true"}
	if q.Sort == search.SortBestSelling || q.Sort == search.SortRating || q.MinRating != nil {
		extra = ", coalesce(st.units_sold, 0) AS units_sold, st.rating_avg"
		joins = " LEFT JOIN product_search_stats st ON st.product_id = p.id"
	}
	if q.MinRating != nil {
		where = append(where, "st.rating_avg >= "+s.arg(*q.MinRating))
	}
	if q.HideOutOfStock {
		where = append(where, inStock)
	}
	return where, extra, joins
}

// textRank orders text matches: an exact name first, then names holding every word, then
// ts_rank_cd, normalized below 1 so it only orders within those tiers; a description that
// repeats the words cannot outrank a name that holds them.
func textRank(s *statement, words []string, query string) string {
	return fmt.Sprintf(`(CASE WHEN lower(p.name) = %s THEN 2 ELSE 0 END
		+ CASE WHEN p.search @@ to_tsquery('simple', %s) THEN 1 ELSE 0 END
		+ ts_rank_cd(p.search, %s, 32))`, s.arg(strings.Join(words, " ")), s.arg(prefixQuery(words, "A")), query)
}

func priceCond(s *statement, lo, hi *int64) string {
	var c []string
	if lo != nil {
		c = append(c, "p.price_cents >= "+s.arg(*lo))
	}
	if hi != nil {
		c = append(c, "p.price_cents <= "+s.arg(*hi))
	}
	return strings.Join(c, " AND ")
}

// selectedKeys are the attribute keys q filters on, sorted so the statement is the same for
// the same query.
func selectedKeys(attrs map[string][]string) []string {
	var keys []string
	for k, v := range attrs {
		if len(v) > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Selections of facet filters for conds.
func all(facetFilter) bool            { return true }
func nonAttribute(f facetFilter) bool { return !strings.HasPrefix(f.column, "f_attr") }
func except(column string) func(facetFilter) bool {
	return func(f facetFilter) bool { return f.column != column }
}

// conds ANDs the columns of the facet filters keep selects.
func conds(facets []facetFilter, keep func(facetFilter) bool) string {
	var c []string
	for _, f := range facets {
		if keep(f) {
			c = append(c, f.column)
		}
	}
	if len(c) == 0 {
		return "true"
	}
	return strings.Join(c, " AND ")
}

// condExprs ANDs the conditions of the facet filters keep selects, for use where their
// columns are not defined yet.
func condExprs(facets []facetFilter, keep func(facetFilter) bool) string {
	c := []string{"true"}
	for _, f := range facets {
		if keep(f) {
			c = append(c, f.cond)
		}
	}
	return strings.Join(c, " AND ")
}

// orderBy returns the ORDER BY of sort on a relation alias: in-stock first, then the sort,
// then id so pages never overlap.
func orderBy(sort string, text bool) func(alias string) string {
	key := map[string]string{
		search.SortPriceAsc:    "price_cents",
		search.SortPriceDesc:   "price_cents DESC",
		search.SortNewest:      "created_at DESC",
		search.SortBestSelling: "units_sold DESC",
		search.SortRating:      "rating_avg DESC NULLS LAST",
	}[sort]
	if key == "" { // relevance, the default
		key = "created_at DESC"
		if text {
			key = "rank DESC"
		}
	}
	return func(a string) string { return a + ".in_stock DESC, " + a + "." + key + ", " + a + ".id" }
}
