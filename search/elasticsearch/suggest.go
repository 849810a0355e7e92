package elasticsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	searchapi "github.com/elastic/go-elasticsearch/v8/typedapi/core/search"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/textquerytype"

	"shopflow/search"
)

// Suggestion kinds.
const (
	kindProduct  = "product"
	kindCategory = "category"
)

// Aggregation names of the category completions.
const (
	aggSuggestCategories = "categories"
	aggActive            = "active"
	aggCategoryNames     = "names"
	aggCategoryID        = "id"
)

// Suggest completes prefix with at most limit suggestions: products whose name has a word
// starting with prefix, best matches first, then categories with such a word (see
// mergeSuggestions). One request answers both: the products are
// the hits, the categories a global aggregation, so they do not depend on the product query.
func (e *Engine) Suggest(ctx context.Context, prefix string, limit int) ([]search.Suggestion, error) {
	prefix = strings.Join(strings.Fields(prefix), " ")
	if prefix == "" || limit <= 0 {
		return []search.Suggestion{}, nil
	}
	limit = min(limit, search.MaxPageSize)
	ctx, cancel := e.withTimeout(ctx)
	defer cancel()
	resp, err := e.client.Search().Index(e.alias).Request(suggestRequest(prefix, limit)).Do(ctx)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch suggest %q: %w", prefix, err)
	}
	categories := categorySuggestions(resp.Aggregations)
	products, err := productSuggestions(resp.Hits.Hits)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch suggest %q: %w", prefix, err)
	}
	return mergeSuggestions(products, categories, limit), nil
}

// mergeSuggestions lists products first, as the Postgres backend does: categories keep up to
// a third of the places (at least one of two or more), and places one side leaves go to the other.
func mergeSuggestions(products, categories []search.Suggestion, limit int) []search.Suggestion {
	catSlots := limit / 3
	if limit >= 2 {
		catSlots = max(catSlots, 1)
	}
	catSlots = min(catSlots, len(categories))
	products = products[:min(len(products), limit-catSlots)]
	categories = categories[:min(len(categories), limit-len(products))]
	return append(products, categories...)
}

// suggestRequest finds active products by word prefix on the search_as_you_type subfield
// (the shingle subfields let a multi-word prefix match words in order) and counts the category
// names among all active products that have a word starting with prefix.
func suggestRequest(prefix string, limit int) *searchapi.Request {
	boolPrefix := textquerytype.Boolprefix
	one := 1
	return &searchapi.Request{
		Size: &limit,
		Query: &types.Query{Bool: &types.BoolQuery{
			Must: []types.Query{{MultiMatch: &types.MultiMatchQuery{
				Query:  prefix,
				Type:   &boolPrefix,
				Fields: []string{fieldNameSuggest, fieldNameSuggest + "._2gram", fieldNameSuggest + "._3gram"},
			}}},
			Filter: []types.Query{termQuery(fieldStatus, "active")},
		}},
		Source_: &types.SourceFilter{Includes: []string{fieldID, fieldName}},
		Aggregations: map[string]types.Aggregations{aggSuggestCategories: {
			Global: &types.GlobalAggregation{},
			Aggregations: map[string]types.Aggregations{aggActive: {
				Filter: &types.Query{Term: map[string]types.TermQuery{fieldStatus: {Value: "active"}}},
				Aggregations: map[string]types.Aggregations{aggCategoryNames: {
					Terms: &types.TermsAggregation{Field: strPtr(fieldCategoryName), Size: &limit, Include: wordPrefixRegexp(prefix)},
					Aggregations: map[string]types.Aggregations{aggCategoryID: {
						Terms: &types.TermsAggregation{Field: strPtr(fieldCategoryID), Size: &one},
					}},
				}},
			}},
		}},
	}
}

// wordPrefixRegexp matches names with a word starting with prefix, ignoring case: the keyword
// holds the name as written, and Lucene regular expressions have no case-insensitive flag, so
// each letter becomes a class of its two cases ("lap" -> "(.* )?[lL][aA][pP].*").
func wordPrefixRegexp(prefix string) string {
	var b strings.Builder
	b.WriteString("(.* )?")
	for _, r := range prefix {
		lower, upper := unicode.ToLower(r), unicode.ToUpper(r)
		if lower != upper {
			b.WriteString("[" + string(lower) + string(upper) + "]")
			continue
		}
		b.WriteString(escapeRegexp(string(r)))
	}
	b.WriteString(".*")
	return b.String()
}

// categorySuggestions reads the category names and their ids, most products first.
func categorySuggestions(aggs map[string]types.Aggregate) []search.Suggestion {
	out := []search.Suggestion{}
	global, ok := aggs[aggSuggestCategories].(*types.GlobalAggregate)
	if !ok {
		return out
	}
	active, ok := global.Aggregations[aggActive].(*types.FilterAggregate)
	if !ok {
		return out
	}
	for _, b := range stringBuckets(active.Aggregations[aggCategoryNames]) {
		ids := longBuckets(b.Aggregations[aggCategoryID])
		if len(ids) == 0 {
			continue
		}
		out = append(out, search.Suggestion{Kind: kindCategory, ID: ids[0].Key, Text: fmt.Sprint(b.Key)})
	}
	return out
}

// productSuggestions reads the products the hits name.
func productSuggestions(hits []types.Hit) ([]search.Suggestion, error) {
	out := make([]search.Suggestion, 0, len(hits))
	for _, h := range hits {
		var d struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal(h.Source_, &d); err != nil {
			return nil, fmt.Errorf("decode suggestion: %w", err)
		}
		out = append(out, search.Suggestion{Kind: kindProduct, ID: d.ID, Text: d.Name})
	}
	return out, nil
}
