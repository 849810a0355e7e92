package postgres

import (
	"fmt"
	"strconv"
	"strings"

	"shopflow/search"
)

// attributeValues is a subquery of the text values of one attribute's JSON value, in a column
// named value: a string, number or boolean as its text, an array as each such element. Filters,
// facets and documents all read attributes through it, so they agree on what a value is.
func attributeValues(value string) string {
	return fmt.Sprintf(`(SELECT e #>> '{}' AS value
		FROM jsonb_array_elements(CASE jsonb_typeof(%[1]s) WHEN 'array' THEN %[1]s ELSE jsonb_build_array(%[1]s) END) e
		WHERE jsonb_typeof(e) IN ('string', 'number', 'boolean'))`, value)
}

// facetValues is attributeValues without repeats, with first marking one value per call, so
// summing over first rows counts each product that has the key once.
func facetValues(value string) string {
	return `(SELECT d.value, d.value = min(d.value) OVER () AS first FROM (SELECT DISTINCT a.value
		FROM ` + attributeValues(value) + ` a) d)`
}

// attributeCTEs counts the matches' attribute values, each product counted for a key when it
// passes every attribute filter but that key's own (the other facet filters already chose which
// rows carry attributes), then picks the keys that get a facet: the selected ones, then the
// most common. Values are ranked by count, then by their bytes (COLLATE "C"), so every
// backend breaks ties alike.
func attributeCTEs(s *statement, facets []facetFilter, keys []string) string {
	keep := conds(facets, func(f facetFilter) bool { return !nonAttribute(f) })
	if len(keys) > 0 {
		var c strings.Builder
		c.WriteString("CASE a.key")
		for n, key := range keys {
			fmt.Fprintf(&c, " WHEN %s THEN %s", s.arg(key), conds(facets, func(f facetFilter) bool {
				return !nonAttribute(f) && f.column != "f_attr"+strconv.Itoa(n)
			}))
		}
		c.WriteString(" ELSE " + keep + " END")
		keep = c.String()
	}
	// Products are first counted by their raw (key, JSON value) pairs, a few hundred distinct
	// ones however many products match, and only those are split into values: expanding each
	// product's arrays instead costs a subquery per match.
	return `attr_pairs AS (
		SELECT a.key, a.value, count(*) AS n
		FROM matches m CROSS JOIN LATERAL jsonb_each(m.attributes) a
		WHERE m.attributes IS NOT NULL AND ` + keep + `
		GROUP BY a.key, a.value
	), attr_counts AS (
		SELECT p.key, v.value, sum(p.n)::bigint AS n,
			sum(sum(p.n) FILTER (WHERE v.first)) OVER (PARTITION BY p.key) AS key_n,
			row_number() OVER (PARTITION BY p.key ORDER BY sum(p.n) DESC, v.value COLLATE "C") AS rn
		FROM attr_pairs p CROSS JOIN LATERAL ` + facetValues("p.value") + ` v
		GROUP BY p.key, v.value
	), attr_keys AS (
		SELECT key, key_n FROM attr_counts WHERE rn = 1
		ORDER BY key = ANY(` + s.arg(append([]string{}, keys...)) + `::text[]) DESC, key_n DESC, key COLLATE "C"
		LIMIT ` + strconv.Itoa(search.MaxAttributeFacets) + `
	)`
}

// hitsJSON is the page's products as a JSON array, in order.
func hitsJSON(order string) string {
	return `(SELECT coalesce(json_agg(json_build_object('id', p.id, 'name', p.name, 'price_cents', p.price_cents,
			'currency', p.currency, 'in_stock', pg.in_stock, 'seller_id', p.seller_id, 'store_name', s.store_name,
			'category_id', p.category_id, 'category_name', c.name, 'units_sold', coalesce(st.units_sold, 0),
			'rating_avg', st.rating_avg, 'rating_count', coalesce(st.rating_count, 0), 'created_at', p.created_at)
			ORDER BY ` + order + `), '[]')
		FROM page pg JOIN products p ON p.id = pg.id JOIN sellers s ON s.id = p.seller_id
		JOIN categories c ON c.id = p.category_id LEFT JOIN product_search_stats st ON st.product_id = p.id)`
}

// categoriesJSON counts matches by their own category, the most common first.
func categoriesJSON(where string) string {
	return `(SELECT coalesce(json_agg(json_build_object('value', f.category_id::text, 'label', c.name, 'count', f.n)
			ORDER BY f.n DESC, f.category_id), '[]')
		FROM (SELECT category_id, count(*) AS n FROM matches WHERE ` + where + `
			GROUP BY category_id ORDER BY n DESC, category_id LIMIT ` + strconv.Itoa(search.MaxFacetValues) + `) f
		JOIN categories c ON c.id = f.category_id)`
}

// pricesJSON counts matches by price bucket (width_bucket's 1-based index into
// search.PriceBounds); empty buckets are left out.
func pricesJSON(s *statement, where string) string {
	return `(SELECT coalesce(json_agg(json_build_object('bucket', f.b, 'count', f.n) ORDER BY f.b), '[]')
		FROM (SELECT width_bucket(price_cents, ` + s.arg(search.PriceBounds) + `::bigint[]) AS b, count(*) AS n
			FROM matches WHERE ` + where + ` GROUP BY 1) f)`
}

// attributesJSON lists the chosen keys, the most common first, each with its top values.
func attributesJSON() string {
	return `(SELECT coalesce(json_agg(json_build_object('name', k.key, 'values', (
		SELECT json_agg(json_build_object('value', ac.value, 'count', ac.n) ORDER BY ac.rn)
		FROM attr_counts ac WHERE ac.key = k.key AND ac.rn <= ` + strconv.Itoa(search.MaxFacetValues) + `))
		ORDER BY k.key_n DESC, k.key COLLATE "C"), '[]')
		FROM attr_keys k)`
}
