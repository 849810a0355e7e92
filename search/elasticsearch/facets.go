package elasticsearch

import (
	"fmt"
	"sort"
	"strings"

	"github.com/elastic/go-elasticsearch/v8/typedapi/types"

	"shopflow/search"
)

// Aggregation names. Each facet is a filter aggregation (named after the facet) holding the
// facet filters but its own, around an inner aggregation named aggValues.
const (
	aggCategories = "categories"
	aggPrices     = "prices"
	aggStock      = "stock"
	// aggAttributes counts the attributes the query does not filter on.
	aggAttributes = "attributes"
	// aggSelectedAttribute is followed by the index of a filtered attribute key in
	// selectedKeys; keys are not used in names because names may not hold "[", "]" or ">".
	aggSelectedAttribute = "attribute_"
	aggValues            = "values"
	aggLabel             = "label"
)

// Facet names, as facetFilter.facet holds them.
const (
	facetCategory  = "category"
	facetPrice     = "price"
	facetStock     = "stock"
	facetAttribute = "attribute:" // followed by the attribute key
)

// attributePairsSize is how many attribute pairs the unselected-attributes aggregation reads
// to pick the MaxAttributeFacets most frequent attributes and their MaxFacetValues values; a
// key whose values all fall outside the most frequent pairs is not offered as a facet.
const attributePairsSize = 500

// facetFilter is one filter a facet can leave out to count its own values.
type facetFilter struct {
	facet string
	query types.Query
}

// facetFilters are the filters of a query that have a facet.
type facetFilters []facetFilter

// facetFiltersOf returns q's facet filters, attribute keys in sorted order.
func facetFiltersOf(q search.Query) facetFilters {
	var out facetFilters
	if q.CategoryID != 0 {
		out = append(out, facetFilter{facetCategory, termQuery(fieldCategoryPath, q.CategoryID)})
	}
	if q.MinPrice != nil || q.MaxPrice != nil {
		out = append(out, facetFilter{facetPrice, rangeQuery(fieldPrice, toFloat(q.MinPrice), toFloat(q.MaxPrice))})
	}
	if q.InStock != nil {
		out = append(out, facetFilter{facetStock, termQuery(fieldInStock, *q.InStock)})
	}
	for _, key := range selectedKeys(q) {
		pairs := make([]string, 0, len(q.Attributes[key]))
		for _, v := range q.Attributes[key] {
			pairs = append(pairs, attributePair(key, v))
		}
		out = append(out, facetFilter{facetAttribute + key, termsQuery(fieldAttributePairs, pairs)})
	}
	return out
}

// except returns every filter but the named facet's, all required; "" keeps them all.
func (f facetFilters) except(facet string) *types.Query {
	var qs []types.Query
	for _, ff := range f {
		if ff.facet != facet {
			qs = append(qs, ff.query)
		}
	}
	if len(qs) == 0 {
		return matchAll()
	}
	return &types.Query{Bool: &types.BoolQuery{Filter: qs}}
}

// selectedKeys are the attribute keys the query filters on (with at least one value), sorted.
func selectedKeys(q search.Query) []string {
	var keys []string
	for key, values := range q.Attributes {
		if len(values) > 0 {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys
}

// facetAggregations counts every facet disjunctively: each one inside a filter aggregation
// holding all facet filters except its own.
func facetAggregations(f facetFilters, keys []string) map[string]types.Aggregations {
	valuesSize, stockSize, pairsSize := search.MaxFacetValues, 2, attributePairsSize
	labelSize := 1
	aggs := map[string]types.Aggregations{
		aggCategories: facetAgg(f.except(facetCategory), types.Aggregations{
			Terms: &types.TermsAggregation{Field: strPtr(fieldCategoryID), Size: &valuesSize},
			Aggregations: map[string]types.Aggregations{
				aggLabel: {Terms: &types.TermsAggregation{Field: strPtr(fieldCategoryName), Size: &labelSize}},
			},
		}),
		aggPrices: facetAgg(f.except(facetPrice), types.Aggregations{
			Range: &types.RangeAggregation{Field: strPtr(fieldPrice), Ranges: priceRanges()},
		}),
		aggStock: facetAgg(f.except(facetStock), types.Aggregations{
			Terms: &types.TermsAggregation{Field: strPtr(fieldInStock), Size: &stockSize},
		}),
	}
	// The typed API sends exclude as a list of exact values, never as a regular expression, so
	// this aggregation also counts the selected keys' pairs; parseAttributes skips them.
	aggs[aggAttributes] = facetAgg(f.except(""), types.Aggregations{
		Terms: &types.TermsAggregation{Field: strPtr(fieldAttributePairs), Size: &pairsSize},
	})
	for i, key := range keys {
		aggs[fmt.Sprintf("%s%d", aggSelectedAttribute, i)] = facetAgg(f.except(facetAttribute+key), types.Aggregations{
			Terms: &types.TermsAggregation{Field: strPtr(fieldAttributePairs), Size: &valuesSize, Include: keyRegexp(key)},
		})
	}
	return aggs
}

// facetAgg wraps a facet's counting aggregation in its filter.
func facetAgg(filter *types.Query, values types.Aggregations) types.Aggregations {
	return types.Aggregations{Filter: filter, Aggregations: map[string]types.Aggregations{aggValues: values}}
}

// priceRanges are the buckets of search.PriceBounds: [from, to), the last one open.
func priceRanges() []types.AggregationRange {
	out := make([]types.AggregationRange, len(search.PriceBounds))
	for i, from := range search.PriceBounds {
		f := types.Float64(from)
		out[i].From = &f
		if i+1 < len(search.PriceBounds) {
			t := types.Float64(search.PriceBounds[i+1])
			out[i].To = &t
		}
	}
	return out
}

// keyRegexp matches the attribute pairs of key, as a Lucene regular expression.
func keyRegexp(key string) string { return escapeRegexp(key) + "=.*" }

// escapeRegexp quotes every character Lucene's regular expressions give a meaning to
// (including the optional operators @ & < > ~ # that Elasticsearch enables), so user input
// matches literally.
func escapeRegexp(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`.?+*|{}[]()"\#@&<>~`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// toFloat converts an optional price for a range query.
func toFloat(v *int64) *float64 {
	if v == nil {
		return nil
	}
	f := float64(*v)
	return &f
}

// strPtr returns a pointer to s, for the typed API's optional fields.
func strPtr(s string) *string { return &s }
