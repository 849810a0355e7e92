// Package search finds products for shoppers: full-text queries with typo tolerance, filters,
// disjunctive facets and as-you-type suggestions. A Searcher answers queries; the postgres
// backend (search/postgres) is the default and always fresh, the elasticsearch backend
// (search/elasticsearch) is kept up to date from the search_changes queue and falls back to
// Postgres when it fails (Fallback).
package search

import (
	"context"
	"time"
)

// Sorts, by the names clients use.
const (
	SortRelevance   = "relevance"
	SortPriceAsc    = "price"
	SortPriceDesc   = "-price"
	SortNewest      = "newest"
	SortBestSelling = "best_selling"
	SortRating      = "rating"
)

// Sorts lists every sort in the order the API documents them.
var Sorts = []string{SortRelevance, SortPriceAsc, SortPriceDesc, SortNewest, SortBestSelling, SortRating}

// Limits every backend enforces, so a query costs the same whichever answers it.
const (
	// MaxDepth is how deep pagination goes (offset plus page size), as Algolia and Elasticsearch
	// cap it; totals above it are reported as "at least".
	MaxDepth = 1000
	// MaxTotal is where counting stops; a larger total is reported as MaxTotal with TotalCapped.
	MaxTotal = 10000
	// MaxPageSize is the largest page.
	MaxPageSize = 100
	// MaxFacetValues is how many values one facet lists, most frequent first.
	MaxFacetValues = 20
	// MaxAttributeFacets is how many attributes get a facet, the most common first.
	MaxAttributeFacets = 10
)

// Query is one search. Zero fields do not filter.
type Query struct {
	// Text is what the shopper typed; every word must match (the last one as a prefix).
	Text string
	// CategoryID matches the category and all its descendants.
	CategoryID int64
	SellerID   string
	// MinPrice and MaxPrice bound price_cents, inclusive.
	MinPrice, MaxPrice *int64
	// InStock keeps only products with (true) or without (false) stock.
	InStock *bool
	// Attributes filters by attribute values: a product matches when, for every key, its
	// attribute equals one of the values (values of one key are OR-ed, keys AND-ed).
	Attributes map[string][]string
	// MinRating keeps products rated at least this (1 to 5); unrated products are dropped.
	MinRating *float64
	// Sort is one of Sorts; empty means relevance (newest without Text).
	Sort string
	// Offset and Limit select the page; Offset+Limit never exceeds MaxDepth.
	Offset, Limit int
	// HideOutOfStock drops products without stock; otherwise they sort after those with stock.
	HideOutOfStock bool
}

// Result is one page of hits with the facets of the whole result.
type Result struct {
	Hits []Hit `json:"items"`
	// Total counts every match, up to MaxTotal; TotalCapped says the real count is larger.
	Total       int    `json:"total"`
	TotalCapped bool   `json:"total_capped"`
	Facets      Facets `json:"facets"`
	// DidYouMean is the corrected query the hits were found with when the text as typed
	// matched nothing, or a suggestion when nothing matched at all.
	DidYouMean string `json:"did_you_mean,omitempty"`
	// Backend names the engine that answered: postgres or elasticsearch (postgres when it
	// stood in for a failed elasticsearch).
	Backend string `json:"backend"`
}

// Hit is one product as a search shows it.
type Hit struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	PriceCents   int64     `json:"price_cents"`
	Currency     string    `json:"currency"`
	InStock      bool      `json:"in_stock"`
	SellerID     string    `json:"seller_id"`
	StoreName    string    `json:"store_name"`
	CategoryID   int64     `json:"category_id"`
	CategoryName string    `json:"category_name"`
	UnitsSold    int64     `json:"units_sold"`
	Rating       *Rating   `json:"rating,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// Rating summarises a product's reviews.
type Rating struct {
	Average float64 `json:"average"`
	Count   int     `json:"count"`
}

// Facets count the matches by value. Each facet counts with every filter but its own, so a
// shopper who picked one brand still sees how many products the other brands have.
type Facets struct {
	Categories []FacetValue     `json:"categories"`
	Prices     []PriceBucket    `json:"prices"`
	Attributes []AttributeFacet `json:"attributes"`
	Stock      StockFacet       `json:"stock"`
}

// FacetValue is one value of a facet and how many matches have it. For categories Value is
// the category id and Label its name.
type FacetValue struct {
	Value string `json:"value"`
	Label string `json:"label,omitempty"`
	Count int    `json:"count"`
}

// PriceBucket counts matches priced in [From, To); a nil To is open-ended.
type PriceBucket struct {
	From  int64  `json:"from_cents"`
	To    *int64 `json:"to_cents"`
	Count int    `json:"count"`
}

// AttributeFacet counts the values of one attribute.
type AttributeFacet struct {
	Name   string       `json:"name"`
	Values []FacetValue `json:"values"`
}

// StockFacet counts matches with and without stock.
type StockFacet struct {
	InStock    int `json:"in_stock"`
	OutOfStock int `json:"out_of_stock"`
}

// PriceBounds are the lower edges of the price buckets, in minor units: under 10, 10-25,
// 25-50, 50-100, 100-250, 250-500, 500-1000, 1000 and over (in the currency's major units).
var PriceBounds = []int64{0, 1000, 2500, 5000, 10000, 25000, 50000, 100000}

// Suggestion is one completion of what a shopper is typing.
type Suggestion struct {
	// Kind is product or category.
	Kind string `json:"kind"`
	ID   int64  `json:"id"`
	Text string `json:"text"`
}

// Searcher answers searches. Every backend implements the same Query semantics.
type Searcher interface {
	Search(ctx context.Context, q Query) (Result, error)
	// Suggest completes prefix with up to limit products and categories.
	Suggest(ctx context.Context, prefix string, limit int) ([]Suggestion, error)
	// Name is the backend's name, as Result.Backend reports it.
	Name() string
}

// Document is a product as an index holds it.
type Document struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	CategoryID  int64  `json:"category_id"`
	// CategoryPath is the category and its ancestors, so a filter on any of them matches.
	CategoryPath  []int64  `json:"category_path"`
	CategoryName  string   `json:"category_name"`
	CategoryNames []string `json:"category_names"`
	SellerID      string   `json:"seller_id"`
	StoreName     string   `json:"store_name"`
	PriceCents    int64    `json:"price_cents"`
	Currency      string   `json:"currency"`
	// Attributes holds each attribute's values as strings (a scalar is one value).
	Attributes  map[string][]string `json:"attributes"`
	Status      string              `json:"status"`
	InStock     bool                `json:"in_stock"`
	UnitsSold   int64               `json:"units_sold"`
	RatingAvg   *float64            `json:"rating_avg"`
	RatingCount int                 `json:"rating_count"`
	CreatedAt   time.Time           `json:"created_at"`
	// Version orders writes of one document: a write carrying a lower version than the
	// index holds is stale and dropped. It is the transaction horizon the document was read
	// at, so a later read always carries a version at least as high.
	Version uint64 `json:"-"`
}

// Index is where an external engine keeps documents: a live alias that searches read and
// applied changes write, and physical indexes behind it that a reindex builds and swaps in.
type Index interface {
	// Apply writes documents to the live alias. Documents the engine refused are returned in
	// Failed so they stay queued; a stale version is not a failure.
	Apply(ctx context.Context, docs []Document) (ApplyResult, error)
	// CreateIndex makes a new, empty physical index with the current mapping and returns its name.
	CreateIndex(ctx context.Context) (string, error)
	// Load writes documents into a physical index (a reindex's bulk load).
	Load(ctx context.Context, index string, docs []Document) (ApplyResult, error)
	// Count returns how many documents a physical index holds, after a refresh.
	Count(ctx context.Context, index string) (int64, error)
	// Swap points the live alias at index atomically and returns the indexes it left.
	Swap(ctx context.Context, index string) ([]string, error)
	// Drop deletes a physical index; dropping one that does not exist is not an error.
	Drop(ctx context.Context, index string) error
	// Live names the physical indexes the alias points at (none before the first reindex).
	Live(ctx context.Context) ([]string, error)
}

// ApplyResult says which documents were not written.
type ApplyResult struct {
	Written int
	Failed  []int64 // product ids
}
