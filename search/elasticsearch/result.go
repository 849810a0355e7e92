package elasticsearch

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"

	searchapi "github.com/elastic/go-elasticsearch/v8/typedapi/core/search"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/totalhitsrelation"

	"shopflow/search"
)

// parseResult turns a search response into a Result; keys are the query's selected attribute
// keys, in the order searchRequest named their aggregations.
func parseResult(resp *searchapi.Response, keys []string) (search.Result, error) {
	res := search.Result{Backend: backendName, Hits: []search.Hit{}}
	for _, h := range resp.Hits.Hits {
		hit, err := parseHit(h)
		if err != nil {
			return search.Result{}, err
		}
		res.Hits = append(res.Hits, hit)
	}
	if t := resp.Hits.Total; t != nil {
		res.Total = int(t.Value)
		res.TotalCapped = t.Relation == totalhitsrelation.Gte
	}
	res.Facets = parseFacets(resp.Aggregations, keys)
	return res, nil
}

// parseHit reads a hit's stored document.
func parseHit(h types.Hit) (search.Hit, error) {
	var d search.Document
	if err := json.Unmarshal(h.Source_, &d); err != nil {
		id := ""
		if h.Id_ != nil {
			id = *h.Id_
		}
		return search.Hit{}, fmt.Errorf("decode hit %s: %w", id, err)
	}
	hit := search.Hit{
		ID: d.ID, Name: d.Name, PriceCents: d.PriceCents, Currency: d.Currency, InStock: d.InStock,
		SellerID: d.SellerID, StoreName: d.StoreName, CategoryID: d.CategoryID,
		CategoryName: d.CategoryName, UnitsSold: d.UnitsSold, CreatedAt: d.CreatedAt,
	}
	// An average without reviews behind it is not a rating to show.
	if d.RatingCount > 0 && d.RatingAvg != nil {
		hit.Rating = &search.Rating{Average: *d.RatingAvg, Count: d.RatingCount}
	}
	return hit, nil
}

// parseFacets reads the aggregations facetAggregations asked for. A missing aggregation
// leaves its facet empty rather than failing the search.
func parseFacets(aggs map[string]types.Aggregate, keys []string) search.Facets {
	f := search.Facets{Categories: []search.FacetValue{}, Prices: []search.PriceBucket{}, Attributes: []search.AttributeFacet{}}
	for _, b := range longBuckets(facetValues(aggs, aggCategories)) {
		v := search.FacetValue{Value: strconv.FormatInt(b.Key, 10), Count: int(b.DocCount)}
		if labels := stringBuckets(b.Aggregations[aggLabel]); len(labels) > 0 {
			v.Label = fmt.Sprint(labels[0].Key)
		}
		f.Categories = append(f.Categories, v)
	}
	for _, b := range rangeBuckets(facetValues(aggs, aggPrices)) {
		if b.DocCount == 0 {
			continue // as the Postgres backend: only buckets that hold matches
		}
		pb := search.PriceBucket{Count: int(b.DocCount)}
		if b.From != nil {
			pb.From = int64(*b.From)
		}
		if b.To != nil {
			to := int64(*b.To)
			pb.To = &to
		}
		f.Prices = append(f.Prices, pb)
	}
	for _, b := range longBuckets(facetValues(aggs, aggStock)) {
		// Elasticsearch counts booleans as 1 (true) and 0 (false).
		if b.Key == 1 {
			f.Stock.InStock = int(b.DocCount)
		} else {
			f.Stock.OutOfStock = int(b.DocCount)
		}
	}
	f.Attributes = parseAttributes(aggs, keys)
	return f
}

// attributeCount is one attribute's values and how often it occurs.
type attributeCount struct {
	facet    search.AttributeFacet
	count    int
	selected bool
}

// parseAttributes keeps every attribute the query filters on and fills the rest of
// MaxAttributeFacets with the most frequent others, ordered by frequency then name.
func parseAttributes(aggs map[string]types.Aggregate, keys []string) []search.AttributeFacet {
	byKey := map[string]*attributeCount{}
	add := func(pair string, count int64, selected bool) {
		key, value := splitPair(pair)
		a := byKey[key]
		if a == nil {
			a = &attributeCount{facet: search.AttributeFacet{Name: key, Values: []search.FacetValue{}}}
			byKey[key] = a
		}
		a.selected = a.selected || selected
		a.count += int(count)
		if len(a.facet.Values) < search.MaxFacetValues {
			a.facet.Values = append(a.facet.Values, search.FacetValue{Value: value, Count: int(count)})
		}
	}
	for i, key := range keys {
		byKey[key] = &attributeCount{facet: search.AttributeFacet{Name: key, Values: []search.FacetValue{}}, selected: true}
		for _, b := range stringBuckets(facetValues(aggs, fmt.Sprintf("%s%d", aggSelectedAttribute, i))) {
			add(fmt.Sprint(b.Key), b.DocCount, true)
		}
	}
	for _, b := range stringBuckets(facetValues(aggs, aggAttributes)) {
		pair := fmt.Sprint(b.Key)
		// A selected key was counted above without its own filter; here it is not.
		if key, _ := splitPair(pair); !slices.Contains(keys, key) {
			add(pair, b.DocCount, false)
		}
	}
	return mostFrequent(byKey)
}

// mostFrequent orders attributes by frequency and keeps MaxAttributeFacets, selected first.
func mostFrequent(byKey map[string]*attributeCount) []search.AttributeFacet {
	all := make([]*attributeCount, 0, len(byKey))
	for _, a := range byKey {
		all = append(all, a)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].count != all[j].count {
			return all[i].count > all[j].count
		}
		return all[i].facet.Name < all[j].facet.Name
	})
	keep := map[string]bool{}
	for _, pass := range []bool{true, false} {
		for _, a := range all {
			if a.selected == pass && len(keep) < search.MaxAttributeFacets {
				keep[a.facet.Name] = true
			}
		}
	}
	out := []search.AttributeFacet{}
	for _, a := range all {
		if keep[a.facet.Name] {
			out = append(out, a.facet)
		}
	}
	return out
}

// facetValues returns the inner aggregation of a facet's filter aggregation.
func facetValues(aggs map[string]types.Aggregate, name string) types.Aggregate {
	f, ok := aggs[name].(*types.FilterAggregate)
	if !ok {
		return nil
	}
	return f.Aggregations[aggValues]
}

// stringBuckets returns the buckets of a terms aggregation on a keyword field.
func stringBuckets(a types.Aggregate) []types.StringTermsBucket {
	t, ok := a.(*types.StringTermsAggregate)
	if !ok {
		return nil
	}
	// Buckets come as a list unless the request asked for keyed buckets, which it never does.
	b, _ := t.Buckets.([]types.StringTermsBucket)
	return b
}

// longBuckets returns the buckets of a terms aggregation on a numeric or boolean field.
func longBuckets(a types.Aggregate) []types.LongTermsBucket {
	t, ok := a.(*types.LongTermsAggregate)
	if !ok {
		return nil
	}
	// Buckets come as a list unless the request asked for keyed buckets, which it never does.
	b, _ := t.Buckets.([]types.LongTermsBucket)
	return b
}

// rangeBuckets returns the buckets of a range aggregation.
func rangeBuckets(a types.Aggregate) []types.RangeBucket {
	t, ok := a.(*types.RangeAggregate)
	if !ok {
		return nil
	}
	// Buckets come as a list unless the request asked for keyed buckets, which it never does.
	b, _ := t.Buckets.([]types.RangeBucket)
	return b
}
