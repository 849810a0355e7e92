package elasticsearch

import (
	"sort"
	"strconv"
	"strings"

	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/dynamicmapping"

	"shopflow/search"
)

// Field names shared by the mapping, the queries and the aggregations.
const (
	fieldName           = "name"
	fieldNameSuggest    = "name.suggest"
	fieldCategoryID     = "category_id"
	fieldCategoryPath   = "category_path"
	fieldCategoryName   = "category_name.keyword"
	fieldSellerID       = "seller_id"
	fieldPrice          = "price_cents"
	fieldAttributePairs = "attribute_pairs"
	fieldStatus         = "status"
	fieldInStock        = "in_stock"
	fieldUnitsSold      = "units_sold"
	fieldRatingAvg      = "rating_avg"
	fieldCreatedAt      = "created_at"
	fieldID             = "id"
)

// textAnalyzer lowercases, as Postgres' 'simple' configuration does, and also folds accents so
// a shopper typing "cafe" finds "Café".
const textAnalyzer = "shop_text"

// indexedDocument is a search.Document as the index stores it, with two fields derived from
// Attributes: attribute_pairs ("key=value") for exact filters and facets on one keyword field,
// and attribute_values for full-text matches on values ("Dell" finds the brand).
type indexedDocument struct {
	search.Document
	AttributePairs  []string `json:"attribute_pairs"`
	AttributeValues []string `json:"attribute_values"`
}

// toIndexed derives the indexed form of d; pairs and values are sorted so a document always
// serialises the same way.
func toIndexed(d search.Document) indexedDocument {
	out := indexedDocument{Document: d}
	for key, values := range d.Attributes {
		for _, v := range values {
			out.AttributePairs = append(out.AttributePairs, attributePair(key, v))
			out.AttributeValues = append(out.AttributeValues, v)
		}
	}
	sort.Strings(out.AttributePairs)
	sort.Strings(out.AttributeValues)
	return out
}

// attributePair is the attribute_pairs term of one attribute value.
func attributePair(key, value string) string { return key + "=" + value }

// splitPair undoes attributePair; keys never contain "=" in practice, and if one did the first
// "=" still splits the way attributePair joined a key without one.
func splitPair(pair string) (key, value string) {
	key, value, _ = strings.Cut(pair, "=")
	return key, value
}

// indexSettings are a new physical index's settings.
func (e *Engine) indexSettings() *types.IndexSettings {
	shards, replicas := strconv.Itoa(e.shards), strconv.Itoa(e.replicas)
	return &types.IndexSettings{
		NumberOfShards:   &shards,
		NumberOfReplicas: &replicas,
		// Changes become searchable within a second; the queue tolerates that lag and
		// refreshing more often would cost indexing throughput during a reindex.
		RefreshInterval: "1s",
		Analysis: &types.IndexSettingsAnalysis{
			Analyzer: map[string]types.Analyzer{
				textAnalyzer: types.CustomAnalyzer{Type: "custom", Tokenizer: "standard", Filter: []string{"lowercase", "asciifolding"}},
			},
		},
	}
}

// indexMapping is the explicit mapping of a physical index. Dynamic mapping is strict, so a
// document with a field the mapping does not know is refused (and reported in Failed) rather
// than silently indexed with a guessed type.
func indexMapping() *types.TypeMapping {
	strict := dynamicmapping.Strict
	return &types.TypeMapping{
		Dynamic: &strict,
		Properties: map[string]types.Property{
			"id":               types.NewLongNumberProperty(),
			"name":             nameProperty(),
			"description":      textProperty(),
			"category_id":      types.NewLongNumberProperty(),
			"category_path":    types.NewLongNumberProperty(),
			"category_name":    textWithKeyword(),
			"category_names":   textProperty(),
			"seller_id":        types.NewKeywordProperty(),
			"store_name":       types.NewKeywordProperty(),
			"price_cents":      types.NewLongNumberProperty(),
			"currency":         types.NewKeywordProperty(),
			"attributes":       types.NewFlattenedProperty(),
			"attribute_pairs":  types.NewKeywordProperty(),
			"attribute_values": textProperty(),
			"status":           types.NewKeywordProperty(),
			"in_stock":         types.NewBooleanProperty(),
			"units_sold":       types.NewLongNumberProperty(),
			"rating_avg":       types.NewFloatNumberProperty(),
			"rating_count":     types.NewIntegerNumberProperty(),
			"created_at":       types.NewDateProperty(),
		},
	}
}

// textProperty is analysed text with the shop's analyzer.
func textProperty() *types.TextProperty {
	p := types.NewTextProperty()
	analyzer := textAnalyzer
	p.Analyzer = &analyzer
	return p
}

// textWithKeyword is text plus a keyword subfield for aggregations.
func textWithKeyword() *types.TextProperty {
	p := textProperty()
	ignoreAbove := 256
	kw := types.NewKeywordProperty()
	kw.IgnoreAbove = &ignoreAbove
	p.Fields = map[string]types.Property{"keyword": kw}
	return p
}

// nameProperty is the name: text for matching and did-you-mean, a keyword subfield, and a
// search_as_you_type subfield that indexes edge n-grams of every word for Suggest.
func nameProperty() *types.TextProperty {
	p := textWithKeyword()
	sayt := types.NewSearchAsYouTypeProperty()
	analyzer := textAnalyzer
	sayt.Analyzer = &analyzer
	p.Fields["suggest"] = sayt
	return p
}
