package elasticsearch

import (
	"slices"
	"strings"

	searchapi "github.com/elastic/go-elasticsearch/v8/typedapi/core/search"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/sortorder"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/textquerytype"

	"shopflow/errs"
	"shopflow/search"
)

// textFields are the fields words are looked for in, with the weights that make a match in
// the name count three times a match in the description.
func textFields() []string {
	return []string{"name^3", "category_names^2", "attribute_values", "description"}
}

// exactNameBoost lifts products whose name holds the typed words in order, so an exact name
// match outranks products that only mention the words in their description.
const exactNameBoost = 2

// searchRequest builds the body of one search. The query holds the text and the filters that
// are not facets; the facet filters go in post_filter, so the aggregations (computed before the
// post_filter) can each apply every facet filter but their own: disjunctive facets.
func searchRequest(q search.Query) *searchapi.Request {
	facets := facetFiltersOf(q)
	req := &searchapi.Request{
		Query:          mainQuery(q),
		Aggregations:   facetAggregations(facets, selectedKeys(q)),
		Sort:           sortOf(q),
		From:           &q.Offset,
		Size:           &q.Limit,
		TrackTotalHits: search.MaxTotal,
	}
	if len(facets) > 0 {
		req.PostFilter = facets.except("")
	}
	return req
}

// validate rejects queries every backend rejects, before a request is made.
func validate(q search.Query) error {
	switch {
	case q.Offset < 0 || q.Limit < 0:
		return errs.E(errs.Invalid, "offset and limit must not be negative")
	case q.Limit > search.MaxPageSize:
		return errs.E(errs.Invalid, "limit must be at most %d", search.MaxPageSize)
	case q.Offset+q.Limit > search.MaxDepth:
		return errs.E(errs.Invalid, "offset plus limit must be at most %d", search.MaxDepth)
	}
	if q.Sort != "" && !slices.Contains(search.Sorts, q.Sort) {
		return errs.E(errs.Invalid, "unknown sort %q", q.Sort)
	}
	return nil
}

// mainQuery matches the text (if any) among active products, with the non-facet filters.
func mainQuery(q search.Query) *types.Query {
	b := &types.BoolQuery{Filter: []types.Query{termQuery(fieldStatus, "active")}}
	if q.SellerID != "" {
		b.Filter = append(b.Filter, termQuery(fieldSellerID, q.SellerID))
	}
	if q.MinRating != nil {
		b.Filter = append(b.Filter, rangeQuery(fieldRatingAvg, q.MinRating, nil))
	}
	if q.HideOutOfStock {
		b.Filter = append(b.Filter, termQuery(fieldInStock, true))
	}
	if words := strings.Fields(q.Text); len(words) > 0 {
		b.Must = wordQueries(words)
		b.Should = []types.Query{exactNameQuery(strings.Join(words, " "))}
	}
	return &types.Query{Bool: b}
}

// wordQueries requires every word, each in any text field, with typo tolerance; the last word
// may also be the start of a word, because the shopper may still be typing it.
func wordQueries(words []string) []types.Query {
	out := make([]types.Query, 0, len(words))
	for _, w := range words[:len(words)-1] {
		out = append(out, fuzzyWord(w))
	}
	last := words[len(words)-1]
	out = append(out, types.Query{Bool: &types.BoolQuery{
		Should:             []types.Query{fuzzyWord(last), prefixWord(last)},
		MinimumShouldMatch: 1,
	}})
	return out
}

// fuzzyWord matches one word in any text field; AUTO allows one edit in words of 3-5
// characters and two in longer ones, so "lapotp" finds "laptop".
func fuzzyWord(w string) types.Query {
	return types.Query{MultiMatch: &types.MultiMatchQuery{Query: w, Fields: textFields(), Fuzziness: "AUTO"}}
}

// prefixWord matches words that start with w in any text field.
func prefixWord(w string) types.Query {
	t := textquerytype.Boolprefix
	return types.Query{MultiMatch: &types.MultiMatchQuery{Query: w, Fields: textFields(), Type: &t}}
}

// exactNameQuery scores, without requiring, names that hold the text as a phrase.
func exactNameQuery(text string) types.Query {
	boost := float32(exactNameBoost)
	return types.Query{MatchPhrase: map[string]types.MatchPhraseQuery{fieldName: {Query: text, Boost: &boost}}}
}

// sortOf orders hits: in-stock products first (unless out-of-stock ones are hidden anyway),
// then the requested sort, then id so pages never overlap.
func sortOf(q search.Query) []types.SortCombinations {
	var out []types.SortCombinations
	if !q.HideOutOfStock {
		out = append(out, fieldSort(fieldInStock, sortorder.Desc, false))
	}
	switch sortName(q) {
	case search.SortRelevance:
		out = append(out, types.SortOptions{Score_: &types.ScoreSort{Order: &sortorder.Desc}})
	case search.SortPriceAsc:
		out = append(out, fieldSort(fieldPrice, sortorder.Asc, false))
	case search.SortPriceDesc:
		out = append(out, fieldSort(fieldPrice, sortorder.Desc, false))
	case search.SortBestSelling:
		out = append(out, fieldSort(fieldUnitsSold, sortorder.Desc, false))
	case search.SortRating:
		out = append(out, fieldSort(fieldRatingAvg, sortorder.Desc, true))
	default:
		out = append(out, fieldSort(fieldCreatedAt, sortorder.Desc, false))
	}
	return append(out, fieldSort(fieldID, sortorder.Asc, false))
}

// sortName resolves the default sort: relevance with text, newest without (where every
// product would score the same).
func sortName(q search.Query) string {
	hasText := strings.TrimSpace(q.Text) != ""
	if q.Sort == "" || (q.Sort == search.SortRelevance && !hasText) {
		if hasText {
			return search.SortRelevance
		}
		return search.SortNewest
	}
	return q.Sort
}

// fieldSort sorts by one field; missingLast puts documents without a value at the end.
func fieldSort(field string, order sortorder.SortOrder, missingLast bool) types.SortOptions {
	fs := types.FieldSort{Order: &order}
	if missingLast {
		fs.Missing = "_last"
	}
	return types.SortOptions{SortOptions: map[string]types.FieldSort{field: fs}}
}

// termQuery matches one exact value.
func termQuery(field string, value types.FieldValue) types.Query {
	return types.Query{Term: map[string]types.TermQuery{field: {Value: value}}}
}

// termsQuery matches any of values.
func termsQuery(field string, values []string) types.Query {
	return types.Query{Terms: &types.TermsQuery{TermsQuery: map[string]types.TermsQueryField{field: values}}}
}

// rangeQuery bounds a numeric field inclusively; a nil bound is open.
func rangeQuery(field string, gte, lte *float64) types.Query {
	r := types.NumberRangeQuery{}
	if gte != nil {
		v := types.Float64(*gte)
		r.Gte = &v
	}
	if lte != nil {
		v := types.Float64(*lte)
		r.Lte = &v
	}
	return types.Query{Range: map[string]types.RangeQuery{field: r}}
}

// matchAll matches every document.
func matchAll() *types.Query { return &types.Query{MatchAll: &types.MatchAllQuery{}} }
