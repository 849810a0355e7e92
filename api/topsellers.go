package api

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"shopflow/errs"
	"shopflow/ranking"
)

// topSellersDefaultLimit is the number of products a ranking is served with by default.
const topSellersDefaultLimit = 10

// topSellersSourceHeader says where a ranking came from: redis (read now), cache (read from
// Redis or Postgres within the cache TTL) or postgres (computed now: nothing published, or
// Redis down).
const topSellersSourceHeader = "X-Top-Sellers-Source"

// topSellers serves GET /categories/{id}/top-sellers: the category's top-selling products
// (its descendants' included) over the trailing window, from the published ranking. It is the
// busiest public read, so it assigns prepared header slices rather than calling Set (which
// allocates each): a cached read allocates no more than /healthz, as
// TestTopSellersCachedReadsAllocateLikeAHealthCheck checks.
func (s *Server) topSellers(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	limit, err := fastLimit(c, topSellersDefaultLimit, ranking.MaxServedProducts)
	if err != nil {
		s.fail(c, err)
		return
	}
	doc, source, err := s.ranks.Category(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := doc.Variant(limit)
	h := c.Writer.Header()
	h["Etag"] = v.ETag
	h["Cache-Control"] = s.rankHeaders.publicCacheControl(time.Now())
	h[topSellersSourceHeader] = s.rankHeaders.source(source)
	if inm := c.Request.Header["If-None-Match"]; len(inm) > 0 && etagMatches(inm, v.ETag[0]) {
		c.Status(http.StatusNotModified)
		return
	}
	h["Content-Type"] = s.rankHeaders.jsonType
	h["Content-Length"] = v.Length
	c.Status(http.StatusOK)
	_, _ = v.WriteTo(c.Writer)
}

// myRank serves GET /sellers/me/rank: the calling seller's standing.
func (s *Server) myRank(c *gin.Context) {
	sellerID, ok := s.callerSeller(c)
	if !ok {
		return
	}
	s.serveSellerRank(c, sellerID)
}

// sellerRank serves GET /sellers/{id}/rank: any seller's standing, for admins.
func (s *Server) sellerRank(c *gin.Context) {
	id, err := pathUUID(c, "id", "a seller")
	if err != nil {
		s.fail(c, err)
		return
	}
	s.serveSellerRank(c, id)
}

// serveSellerRank answers with the seller's published document: its rank overall and in each
// category it sold in. A seller with no sales in the window has rank null and no categories.
func (s *Server) serveSellerRank(c *gin.Context, sellerID string) {
	raw, source, err := s.ranks.Seller(c.Request.Context(), sellerID)
	if err != nil {
		s.fail(c, err)
		return
	}
	h := c.Writer.Header()
	h["Cache-Control"] = []string{"private, max-age=" + strconv.FormatInt(ranking.SecondsToRefresh(time.Now()), 10)}
	h[topSellersSourceHeader] = s.rankHeaders.source(source)
	c.Data(http.StatusOK, "application/json; charset=utf-8", raw)
}

type jobStarted struct {
	WorkflowID string `json:"workflow_id"`
}

// runTopSellers serves POST /admin/jobs/top-sellers: rank the current period now, rather than
// at the next scheduled hour. 202 with the run's workflow ID.
func (s *Server) runTopSellers(c *gin.Context) {
	if s.Jobs == nil {
		s.fail(c, errs.E(errs.Unavailable, "this process cannot start jobs"))
		return
	}
	id, err := s.Jobs.TriggerTopSellers(c.Request.Context())
	if err != nil {
		s.fail(c, errs.Wrap(err, errs.Unavailable, "the top-sellers job could not be started; try again shortly"))
		return
	}
	c.JSON(http.StatusAccepted, jobStarted{WorkflowID: id})
}

// fastLimit reads ?limit= (1..max, default def) on the hot read routes. The usual forms are
// parsed without allocating; anything else goes through the strict parser every list uses
// (unknown and repeated parameters are 400).
func fastLimit(c *gin.Context, def, max int) (int, error) {
	q := c.Request.URL.RawQuery
	if q == "" {
		return def, nil
	}
	v, ok := strings.CutPrefix(q, "limit=")
	if !ok || !plainNumber(v) {
		vals, err := singleQueryValues(c, "limit")
		if err != nil {
			return 0, err
		}
		if v, ok = vals["limit"]; !ok {
			return def, nil
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, badParam("limit", "must be an integer from 1 to %d, got %q", max, v)
	}
	return n, nil
}

// plainNumber reports whether s is a short run of digits, which strconv.Atoi parses without
// allocating.
func plainNumber(s string) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// rankHeaders are the header values of ranking responses, prepared once and never modified,
// so serving a cached ranking sets headers without allocating.
type rankHeaders struct {
	fromCache, fromRedis, fromPostgres, jsonType []string
	cacheControl                                 atomic.Pointer[cacheControlValue]
}

func newRankHeaders() *rankHeaders {
	return &rankHeaders{fromCache: []string{string(ranking.FromCache)}, fromRedis: []string{string(ranking.FromRedis)},
		fromPostgres: []string{string(ranking.FromPostgres)}, jsonType: []string{"application/json; charset=utf-8"}}
}

// source is the X-Top-Sellers-Source value for src.
func (h *rankHeaders) source(src ranking.Source) []string {
	switch src {
	case ranking.FromRedis:
		return h.fromRedis
	case ranking.FromPostgres:
		return h.fromPostgres
	}
	return h.fromCache
}

// cacheControlValue is the public Cache-Control header for one second.
type cacheControlValue struct {
	second int64
	header []string
}

// publicCacheControl is the Cache-Control of category rankings, prepared once per second.
func (h *rankHeaders) publicCacheControl(now time.Time) []string {
	sec := now.Unix()
	if v := h.cacheControl.Load(); v != nil && v.second == sec {
		return v.header
	}
	v := &cacheControlValue{second: sec, header: []string{"public, max-age=" + strconv.FormatInt(ranking.SecondsToRefresh(now), 10)}}
	h.cacheControl.Store(v)
	return v.header
}
