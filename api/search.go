package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"shopflow/errs"
	"shopflow/search"
)

// searchCacheHeader says whether a search was answered from the cache: HIT (this process),
// REDIS (another process's answer) or MISS (computed now).
const searchCacheHeader = "X-Search-Cache"

// SearchJobs starts search maintenance on demand (workflows.Jobs in production).
type SearchJobs interface {
	// ReindexSearch starts a reindex, or finds the running one, and returns its workflow and run IDs.
	ReindexSearch(ctx context.Context) (workflowID, runID string, err error)
}

// searchBody is GET /search's answer: a page of hits, its facets, and what helps the shopper
// go on (did you mean, the category's top sellers).
type searchBody struct {
	Items       []search.Hit    `json:"items"`
	NextCursor  *string         `json:"next_cursor"`
	Total       int             `json:"total"`
	TotalCapped bool            `json:"total_capped"`
	Facets      search.Facets   `json:"facets"`
	DidYouMean  string          `json:"did_you_mean,omitempty"`
	Backend     string          `json:"backend"`
	TopSellers  json.RawMessage `json:"top_sellers,omitempty"`
}

// searchProducts serves GET /search. Answers are cached briefly (SHOPFLOW_SEARCH_CACHE_TTL) so
// a burst of the same query reaches the engine about once per TTL.
func (s *Server) searchProducts(c *gin.Context) {
	if s.Search == nil {
		s.fail(c, errs.E(errs.Unavailable, "search is not configured on this server"))
		return
	}
	// A popular search asked again in the same words is answered before it is even parsed: only
	// answers are stored, so a request that would be refused never matches.
	raw := "raw\x00" + c.Request.URL.RawQuery
	if body, ok := s.SearchCache.Peek(raw); ok {
		s.writeSearch(c, body, search.HitProcess)
		return
	}
	req, err := parseSearch(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	req.Query.HideOutOfStock = s.Config.SearchHideOutOfStock
	key := search.Key("search", req.scope, strconv.Itoa(req.Query.Offset), strconv.Itoa(req.Query.Limit), strconv.FormatBool(req.IncludeTopSells))
	body, hit, err := s.SearchCache.Get(c.Request.Context(), key, func(ctx context.Context) ([]byte, error) {
		return s.runSearch(ctx, req)
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.SearchCache.Keep(raw, body)
	s.writeSearch(c, body, hit)
}

// writeSearch writes an encoded answer with headers prepared once (searchHeaders), as the
// top-sellers endpoint does: the cached path is the busiest.
func (s *Server) writeSearch(c *gin.Context, body []byte, hit search.CacheHit) {
	h := c.Writer.Header()
	h["Content-Type"] = s.searchHeaders.jsonType
	h["Cache-Control"] = s.searchHeaders.cacheControl
	h[searchCacheHeader] = s.searchHeaders.hit[hit]
	// A length lets net/http send the body in one piece instead of chunked after 4 KB.
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(body)
}

// searchHeaders are the header values of search answers, made once per server.
type searchHeaders struct {
	jsonType, cacheControl []string
	hit                    map[search.CacheHit][]string
}

func newSearchHeaders(ttl time.Duration) *searchHeaders {
	return &searchHeaders{
		jsonType:     []string{"application/json; charset=utf-8"},
		cacheControl: []string{"public, max-age=" + strconv.Itoa(int(ttl.Seconds()))},
		hit: map[search.CacheHit][]string{search.Miss: {string(search.Miss)}, search.HitProcess: {string(search.HitProcess)},
			search.HitRedis: {string(search.HitRedis)}},
	}
}

// runSearch answers one search request and encodes the body.
func (s *Server) runSearch(ctx context.Context, req searchRequest) ([]byte, error) {
	q := req.Query
	if req.CategoryName != "" {
		id, err := s.categoryByName(ctx, req.CategoryName)
		if err != nil {
			return nil, err
		}
		q.CategoryID = id
	}
	body := searchBody{Items: []search.Hit{}}
	if q.Limit > 0 {
		r, err := s.Search.Search(ctx, q)
		if err != nil {
			return nil, searchError(err)
		}
		body = searchBody{Items: r.Hits, Total: r.Total, TotalCapped: r.TotalCapped, Facets: r.Facets,
			DidYouMean: r.DidYouMean, Backend: r.Backend}
		if body.Items == nil {
			body.Items = []search.Hit{}
		}
	}
	if next := q.Offset + len(body.Items); len(body.Items) == q.Limit && next < body.Total && next < search.MaxDepth {
		cursor := encodeSearchCursor(next, req.scope)
		body.NextCursor = &cursor
	}
	if req.IncludeTopSells {
		body.TopSellers = s.searchTopSellers(ctx, q.CategoryID, body.Facets)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "encode search answer")
	}
	return b, nil
}

// searchTopSellers is the ranking of the category the search is in: the one filtered on, else
// the category with the most matches. It is an extra, so a failure only leaves it out.
func (s *Server) searchTopSellers(ctx context.Context, category int64, facets search.Facets) json.RawMessage {
	if category == 0 && len(facets.Categories) > 0 {
		category, _ = strconv.ParseInt(facets.Categories[0].Value, 10, 64)
	}
	if category == 0 {
		return nil
	}
	doc, _, err := s.ranks.Category(ctx, category)
	if err != nil {
		return nil
	}
	var b bytes.Buffer
	if _, err := doc.Variant(topSellersDefaultLimit).WriteTo(&b); err != nil {
		return nil
	}
	return b.Bytes()
}

// searchError keeps a search's error vocabulary: a backend failure nobody could stand in for
// is a 503 the shopper may retry, never a bare 500.
func searchError(err error) error {
	var e *errs.Error
	if errors.As(err, &e) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return errs.Wrap(err, errs.Unavailable, "search is unavailable; try again shortly")
}

// suggestProducts serves GET /search/suggest?q=lap: products and categories completing what
// the shopper is typing.
func (s *Server) suggestProducts(c *gin.Context) {
	if s.Search == nil {
		s.fail(c, errs.E(errs.Unavailable, "search is not configured on this server"))
		return
	}
	q, err := singleQueryValues(c, "q", "limit")
	if err != nil {
		s.fail(c, err)
		return
	}
	prefix, err := searchText("q", q["q"])
	if err == nil && prefix == "" {
		err = badParam("q", "is required: the text typed so far")
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	limit := 8
	if v, ok := q["limit"]; ok {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 20 {
			s.fail(c, badParam("limit", "must be an integer from 1 to 20, got %q", v))
			return
		}
	}
	key := search.Key("suggest", prefix, strconv.Itoa(limit))
	body, hit, err := s.SearchCache.Get(c.Request.Context(), key, func(ctx context.Context) ([]byte, error) {
		items, err := s.Search.Suggest(ctx, prefix, limit)
		if err != nil {
			return nil, searchError(err)
		}
		if items == nil {
			items = []search.Suggestion{}
		}
		return json.Marshal(struct {
			Items []search.Suggestion `json:"items"`
		}{items})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header(searchCacheHeader, string(hit))
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// reindexSearch serves POST /admin/jobs/search-reindex: rebuild the search index without
// downtime. 202 with the run's workflow ID, whose progress the Temporal UI shows.
func (s *Server) reindexSearch(c *gin.Context) {
	if s.SearchJobs == nil {
		s.fail(c, errs.E(errs.Unavailable, "jobs cannot be started: Temporal is not configured"))
		return
	}
	if s.Config.SearchBackend != "elasticsearch" {
		s.fail(c, errs.E(errs.Conflict, "search is answered by Postgres (SHOPFLOW_SEARCH_BACKEND=%s), which has no index to rebuild", s.Config.SearchBackend))
		return
	}
	id, run, err := s.SearchJobs.ReindexSearch(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"workflow_id": id, "run_id": run})
}
