// Package postgres is the search backend that answers from the database itself: full-text
// search on products.search, typo correction against the search_terms vocabulary, filters and
// disjunctive facets in one statement. It is as fresh as the database it reads: the primary, or
// a replica within the lag bound when Searcher.Reader picks one. Catalog reads documents for an
// external index, always from the primary.
package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/errs"
	"shopflow/search"
)

// Searcher answers searches from Postgres.
type Searcher struct {
	Pool *pgxpool.Pool
	// Reader, when set, picks the pool each query reads (store.Store.Reader: a replica within
	// the lag bound, else the primary); nil reads Pool.
	Reader func(context.Context) *pgxpool.Pool
}

// pool is where a query under ctx reads.
func (s *Searcher) pool(ctx context.Context) *pgxpool.Pool {
	if s.Reader == nil {
		return s.Pool
	}
	return s.Reader(ctx)
}

var _ search.Searcher = (*Searcher)(nil)

// Name is the backend's name, as Result.Backend reports it.
func (s *Searcher) Name() string { return "postgres" }

// Search answers q. When nothing matches and the text as typed matches no active product at
// all, each word missing from the vocabulary is corrected to its most similar term and the
// search runs again with the corrected text, which Result.DidYouMean reports (even when that
// finds nothing either).
// Limit 0 asks for counts and facets only.
func (s *Searcher) Search(ctx context.Context, q search.Query) (search.Result, error) {
	if err := validate(q); err != nil {
		return search.Result{}, err
	}
	words := splitWords(q.Text)
	res, err := s.run(ctx, q, words)
	if err != nil || res.Total > 0 || len(words) == 0 {
		return res, err
	}
	corrected, err := s.correct(ctx, words)
	if err != nil || corrected == nil {
		return res, err
	}
	res, err = s.run(ctx, q, corrected)
	res.DidYouMean = strings.Join(corrected, " ")
	return res, err
}

// run executes the search statement for words and decodes its one JSON row.
func (s *Searcher) run(ctx context.Context, q search.Query, words []string) (search.Result, error) {
	sql, args := searchSQL(q, words)
	var raw []byte
	err := queryLocal(ctx, s.pool(ctx), sql, args, func(rows pgx.Rows) error {
		var err error
		raw, err = pgx.CollectExactlyOneRow(rows, pgx.RowTo[[]byte])
		return err
	}, searchSettings()...)
	if err != nil {
		return search.Result{}, fmt.Errorf("search %q: %w", strings.Join(words, " "), err)
	}
	res, err := decodeResult(raw)
	if err != nil {
		return search.Result{}, fmt.Errorf("search %q: %w", strings.Join(words, " "), err)
	}
	return res, nil
}

// setting is a configuration parameter and its value.
type setting struct{ name, value string }

// queryLocal runs sql with JIT compilation and settings off for it alone and hands its rows to
// read, in one round trip: a batch runs in one implicit transaction, so set_config(..., true)
// (SET LOCAL as a function, which does not warn outside a transaction block) ends with it and
// the pooled connection goes back unchanged.
//
// JIT is off because the planner costs the facet aggregates over a large match set high
// enough to JIT-compile them, which on 100,000 products took 1.3 s for a statement that then
// ran in well under a second; no search runs long enough to repay it.
func queryLocal(ctx context.Context, pool *pgxpool.Pool, sql string, args []any, read func(pgx.Rows) error, settings ...setting) error {
	b := &pgx.Batch{}
	for _, s := range append([]setting{{"jit", "off"}}, settings...) {
		b.Queue(`SELECT set_config($1, $2, true)`, s.name, s.value)
	}
	b.Queue(sql, args...).Query(read)
	return pool.SendBatch(ctx, b).Close()
}

// searchSettings are set for the search statement alone. Its matches are materialized and
// read once per facet; with the default 4 MB work_mem the matches of a broad query (96,000
// rows, 17 MB) spill to a temporary file, which made it 10-30% slower on 100,000 products.
func searchSettings() []setting { return []setting{{"work_mem", "32MB"}} }

// validate refuses what the statement cannot answer as asked. Callers are expected to have
// checked already; this keeps a bad query from reaching SQL as a confusing error.
func validate(q search.Query) error {
	invalid := func(param, problem string) error {
		return errs.E(errs.Invalid, "%s %s", param, problem).WithDetails("parameter", param)
	}
	switch {
	case q.Sort != "" && !slices.Contains(search.Sorts, q.Sort):
		return invalid("sort", "must be one of "+strings.Join(search.Sorts, ", "))
	case q.Limit < 0 || q.Limit > search.MaxPageSize:
		return invalid("limit", fmt.Sprintf("must be between 0 and %d", search.MaxPageSize))
	case q.Offset < 0 || q.Offset+q.Limit > search.MaxDepth:
		return invalid("offset", fmt.Sprintf("plus limit must not pass %d", search.MaxDepth))
	}
	if q.SellerID != "" {
		if _, err := uuid.Parse(q.SellerID); err != nil {
			return invalid("seller_id", "is not a seller id")
		}
	}
	return nil
}

// resultRow is the JSON object the search statement returns.
type resultRow struct {
	Hits []struct {
		search.Hit
		RatingAvg   *float64 `json:"rating_avg"`
		RatingCount int      `json:"rating_count"`
	} `json:"hits"`
	Total      int                           `json:"total"`
	Categories []search.FacetValue           `json:"categories"`
	Prices     []struct{ Bucket, Count int } `json:"prices"`
	Stock      struct{ In, Out int }         `json:"stock"`
	Attributes []search.AttributeFacet       `json:"attributes"`
}

func decodeResult(raw []byte) (search.Result, error) {
	var row resultRow
	if err := json.Unmarshal(raw, &row); err != nil {
		return search.Result{}, fmt.Errorf("decode result: %w", err)
	}
	res := search.Result{
		Hits:        make([]search.Hit, 0, len(row.Hits)),
		Total:       min(row.Total, search.MaxTotal),
		TotalCapped: row.Total > search.MaxTotal,
		Backend:     "postgres",
		Facets: search.Facets{Categories: row.Categories, Prices: make([]search.PriceBucket, 0, len(row.Prices)),
			Attributes: row.Attributes, Stock: search.StockFacet{InStock: row.Stock.In, OutOfStock: row.Stock.Out}},
	}
	for _, h := range row.Hits {
		hit := h.Hit
		if h.RatingCount > 0 && h.RatingAvg != nil {
			hit.Rating = &search.Rating{Average: *h.RatingAvg, Count: h.RatingCount}
		}
		res.Hits = append(res.Hits, hit)
	}
	for _, p := range row.Prices {
		b := search.PriceBucket{From: search.PriceBounds[p.Bucket-1], Count: p.Count}
		if p.Bucket < len(search.PriceBounds) {
			to := search.PriceBounds[p.Bucket]
			b.To = &to
		}
		res.Facets.Prices = append(res.Facets.Prices, b)
	}
	return res, nil
}
