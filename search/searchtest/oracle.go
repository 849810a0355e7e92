package searchtest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"shopflow/search"
)

// oracle answers the questions the relevance checks ask of a backend with plain SQL, written
// from the shared rules rather than from any backend, one query per question.
type oracle struct {
	t   *testing.T
	cat Catalog
}

// from joins what every question filters on.
const from = ` FROM products p LEFT JOIN inventory i ON i.product_id = p.id
	LEFT JOIN product_search_stats st ON st.product_id = p.id `

const inStockSQL = `coalesce(i.on_hand - i.reserved, 0) > 0`

// where is the condition of q on p, i and st, leaving out the filter named skip ("category",
// "price", "stock", or "attr:" and a key), as the facet of that filter counts.
func (o oracle) where(q search.Query, skip string) (string, []any) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	c := []string{"p.status = 'active'"}
	if words := splitWords(q.Text); len(words) > 0 {
		c = append(c, "p.search @@ to_tsquery('simple', "+arg(strings.Join(words, " & ")+":*")+")")
	}
	if q.CategoryID != 0 && skip != "category" {
		c = append(c, `p.category_id IN (WITH RECURSIVE t AS (SELECT `+arg(q.CategoryID)+`::bigint AS id
			UNION SELECT c.id FROM categories c JOIN t ON c.parent_id = t.id) SELECT id FROM t)`)
	}
	if q.SellerID != "" {
		c = append(c, "p.seller_id = "+arg(q.SellerID)+"::uuid")
	}
	if skip != "price" {
		if q.MinPrice != nil {
			c = append(c, "p.price_cents >= "+arg(*q.MinPrice))
		}
		if q.MaxPrice != nil {
			c = append(c, "p.price_cents <= "+arg(*q.MaxPrice))
		}
	}
	if q.InStock != nil && skip != "stock" {
		c = append(c, "("+inStockSQL+") = "+arg(*q.InStock))
	}
	for key, values := range q.Attributes {
		if len(values) > 0 && skip != "attr:"+key {
			k, v := arg(key), arg(values)
			c = append(c, fmt.Sprintf("(p.attributes -> %s ?| %s::text[] OR p.attributes ->> %s = ANY(%s::text[]))", k, v, k, v))
		}
	}
	if q.MinRating != nil {
		c = append(c, "st.rating_avg >= "+arg(*q.MinRating))
	}
	if q.HideOutOfStock {
		c = append(c, inStockSQL)
	}
	return strings.Join(c, " AND "), args
}

// total counts the matches of q.
func (o oracle) total(q search.Query) int {
	where, args := o.where(q, "")
	return o.count(`SELECT count(*)`+from+`WHERE `+where, args...)
}

// ids lists the first n matches of q in its sort, which must not be relevance.
func (o oracle) ids(q search.Query, n int) []int64 {
	key := map[string]string{
		search.SortPriceAsc:    "p.price_cents",
		search.SortPriceDesc:   "p.price_cents DESC",
		search.SortNewest:      "p.created_at DESC",
		search.SortBestSelling: "coalesce(st.units_sold, 0) DESC",
		search.SortRating:      "st.rating_avg DESC NULLS LAST",
		"":                     "p.created_at DESC", // without text
	}[q.Sort]
	where, args := o.where(q, "")
	return o.int64s(`SELECT p.id`+from+`WHERE `+where+` ORDER BY `+inStockSQL+` DESC, `+key+`, p.id LIMIT `+strconv.Itoa(n), args...)
}

// facets computes the facets of q, each without its own filter.
func (o oracle) facets(q search.Query) search.Facets {
	f := search.Facets{Categories: o.categories(q), Prices: o.prices(q)}
	where, args := o.where(q, "stock")
	rows := o.query(`SELECT count(*) FILTER (WHERE `+inStockSQL+`), count(*) FILTER (WHERE NOT `+inStockSQL+`)`+from+`WHERE `+where, args...)
	f.Stock = search.StockFacet{InStock: rows[0][0].(int), OutOfStock: rows[0][1].(int)}
	for _, key := range []string{"brand", "color", "condition", "features", "material", "size"} {
		if values := o.attributeValues(q, key); len(values) > 0 {
			f.Attributes = append(f.Attributes, search.AttributeFacet{Name: key, Values: values})
		}
	}
	return f
}

func (o oracle) categories(q search.Query) []search.FacetValue {
	where, args := o.where(q, "category")
	var out []search.FacetValue
	for _, r := range o.query(`SELECT p.category_id::text, c.name, count(*)::int`+from+`JOIN categories c ON c.id = p.category_id
		WHERE `+where+` GROUP BY p.category_id, c.name ORDER BY 3 DESC, p.category_id LIMIT `+strconv.Itoa(search.MaxFacetValues), args...) {
		out = append(out, search.FacetValue{Value: r[0].(string), Label: r[1].(string), Count: r[2].(int)})
	}
	return out
}

func (o oracle) prices(q search.Query) []search.PriceBucket {
	where, args := o.where(q, "price")
	var out []search.PriceBucket
	for n, lo := range search.PriceBounds {
		b := search.PriceBucket{From: lo}
		cond := fmt.Sprintf("p.price_cents >= %d", lo)
		if n+1 < len(search.PriceBounds) {
			hi := search.PriceBounds[n+1]
			b.To = &hi
			cond += fmt.Sprintf(" AND p.price_cents < %d", hi)
		}
		if b.Count = o.count(`SELECT count(*)`+from+`WHERE `+where+` AND `+cond, args...); b.Count > 0 {
			out = append(out, b)
		}
	}
	return out
}

// attributeValues counts the values of key (scalars, and array elements, as text).
func (o oracle) attributeValues(q search.Query, key string) []search.FacetValue {
	where, args := o.where(q, "attr:"+key)
	args = append(args, key)
	k := "$" + strconv.Itoa(len(args))
	var out []search.FacetValue
	for _, r := range o.query(`SELECT v, count(*)::int`+from+`CROSS JOIN LATERAL jsonb_array_elements_text(CASE jsonb_typeof(p.attributes -> `+k+`)
			WHEN 'array' THEN p.attributes -> `+k+` ELSE jsonb_build_array(p.attributes -> `+k+`) END) v
		WHERE v IS NOT NULL AND `+where+` GROUP BY v ORDER BY 2 DESC, v COLLATE "C" LIMIT `+strconv.Itoa(search.MaxFacetValues), args...) {
		out = append(out, search.FacetValue{Value: r[0].(string), Count: r[1].(int)})
	}
	return out
}

func (o oracle) count(sql string, args ...any) int {
	o.t.Helper()
	var n int
	if err := o.cat.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		o.t.Fatalf("oracle: %v\n%s", err, sql)
	}
	return n
}

func (o oracle) int64s(sql string, args ...any) []int64 {
	o.t.Helper()
	rows, err := o.cat.Pool.Query(context.Background(), sql, args...)
	if err == nil {
		var ids []int64
		if ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err == nil {
			return ids
		}
	}
	o.t.Fatalf("oracle: %v\n%s", err, sql)
	return nil
}

// query returns rows of text and int columns (counts as int).
func (o oracle) query(sql string, args ...any) [][]any {
	o.t.Helper()
	rows, err := o.cat.Pool.Query(context.Background(), sql, args...)
	if err != nil {
		o.t.Fatalf("oracle: %v\n%s", err, sql)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) {
		vals, err := r.Values()
		for n, v := range vals {
			switch v := v.(type) {
			case int64:
				vals[n] = int(v)
			case int32:
				vals[n] = int(v)
			}
		}
		return vals, err
	})
	if err != nil {
		o.t.Fatalf("oracle: %v\n%s", err, sql)
	}
	return out
}

// sameFacets reports how got differs from want, or "" when they agree. Attribute facets are
// compared by name, since backends may order equally common keys differently.
func sameFacets(got, want search.Facets) string {
	var diffs []string
	if !slices.Equal(got.Categories, want.Categories) {
		diffs = append(diffs, fmt.Sprintf("categories %v, want %v", got.Categories, want.Categories))
	}
	if fmt.Sprint(bucketStrings(got.Prices)) != fmt.Sprint(bucketStrings(want.Prices)) {
		diffs = append(diffs, fmt.Sprintf("prices %v, want %v", bucketStrings(got.Prices), bucketStrings(want.Prices)))
	}
	if got.Stock != want.Stock {
		diffs = append(diffs, fmt.Sprintf("stock %+v, want %+v", got.Stock, want.Stock))
	}
	byName := map[string][]search.FacetValue{}
	for _, a := range got.Attributes {
		byName[a.Name] = a.Values
	}
	for _, a := range want.Attributes {
		if !slices.Equal(byName[a.Name], a.Values) {
			diffs = append(diffs, fmt.Sprintf("attribute %s %v, want %v", a.Name, byName[a.Name], a.Values))
		}
		delete(byName, a.Name)
	}
	for name := range byName {
		diffs = append(diffs, "unexpected attribute facet "+name)
	}
	return strings.Join(diffs, "\n")
}

func bucketStrings(buckets []search.PriceBucket) []string {
	var out []string
	for _, b := range buckets {
		to := "∞"
		if b.To != nil {
			to = strconv.FormatInt(*b.To, 10)
		}
		out = append(out, fmt.Sprintf("[%d,%s):%d", b.From, to, b.Count))
	}
	return out
}
