package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"golang.org/x/sync/singleflight"

	"shopflow/errs"
	"shopflow/ranking"
)

// Top sellers are read far more often than they change (once an hour), so the hot path serves
// bytes prepared once per category and per limit: no JSON encoding, no Redis round trip and
// next to no allocation per request. The preparation happens on a cache miss, at most once per
// category every SHOPFLOW_TOPSELLERS_CACHE_TTL in each API process.

const (
	topSellersDefaultLimit = 10
	topSellersMaxLimit     = 100
	// rankCacheMaxEntries bounds the categories held (about 15 KB each with 100 products).
	rankCacheMaxEntries = 4096
	// rankRedisTimeout bounds a Redis read, so a hung Redis falls back to Postgres quickly.
	rankRedisTimeout = 250 * time.Millisecond
	// rankFillTimeout bounds one fill (Redis, then Postgres), shared by every waiting request.
	rankFillTimeout = 10 * time.Second
	// categorySetTTL is how long the set of category ids is trusted; an id missing from it is
	// looked up again at most once per categoryRecheck, so a new category is found quickly
	// and a flood of unknown ids costs Postgres one query a second.
	categorySetTTL  = 10 * time.Second
	categoryRecheck = time.Second
	// rankRefreshOffset is when in each hour the Schedule publishes a new ranking (minute 1);
	// CDNs may keep a response until a minute after that.
	rankRefreshOffset = time.Minute
)

// topSellers serves GET /categories/{id}/top-sellers: the category's top-selling products
// (its descendants' included) over the trailing window, from the published ranking.
func (s *Server) topSellers(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	limit, err := topSellersLimit(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	doc, source, err := s.ranks.category(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := doc.variant(limit)
	h := c.Writer.Header()
	// Header values are prepared slices, assigned rather than Set: Set would allocate each.
	h["Etag"] = v.etag
	h["Cache-Control"] = s.ranks.publicCacheControl(time.Now())
	h[topSellersSourceHeader] = source
	if inm := c.Request.Header["If-None-Match"]; len(inm) > 0 && etagMatches(inm, v.etag[0]) {
		c.Status(http.StatusNotModified)
		return
	}
	h["Content-Type"] = s.ranks.jsonType
	h["Content-Length"] = v.length
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(doc.full[:v.cut])
	_, _ = c.Writer.Write(docTail)
}

// myRank serves GET /sellers/me/rank: the calling seller's standing.
func (s *Server) myRank(c *gin.Context) {
	sellerID := mustClaims(c).SellerID
	if sellerID == "" {
		s.fail(c, errs.E(errs.NotFound, "this account has no store"))
		return
	}
	s.serveSellerRank(c, sellerID)
}

// sellerRank serves GET /sellers/{id}/rank: any seller's standing, for admins.
func (s *Server) sellerRank(c *gin.Context) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		s.fail(c, errs.E(errs.Invalid, "id must be a seller id (a UUID), got %q", c.Param("id")))
		return
	}
	s.serveSellerRank(c, id.String())
}

// serveSellerRank answers with the seller's published document: its rank overall and in each
// category it sold in. A seller with no sales in the window has rank null and no categories.
func (s *Server) serveSellerRank(c *gin.Context, sellerID string) {
	raw, source, err := s.ranks.seller(c.Request.Context(), sellerID)
	if err != nil {
		s.fail(c, err)
		return
	}
	h := c.Writer.Header()
	h["Cache-Control"] = []string{"private, max-age=" + strconv.FormatInt(secondsToRefresh(time.Now()), 10)}
	h[topSellersSourceHeader] = source
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

// topSellersSourceHeader says where a ranking came from: redis (read now), cache (read from
// Redis or Postgres within the cache TTL) or postgres (computed now: nothing published, or
// Redis down).
const topSellersSourceHeader = "X-Top-Sellers-Source"

// docTail closes a category document after its last product.
var docTail = []byte("]}")

// topSellersLimit reads ?limit= (1..100, default 10). The usual forms are parsed without
// allocating; anything else goes through the strict parser every list uses (unknown and
// repeated parameters are 400).
func topSellersLimit(c *gin.Context) (int, error) {
	q := c.Request.URL.RawQuery
	if q == "" {
		return topSellersDefaultLimit, nil
	}
	v, ok := strings.CutPrefix(q, "limit=")
	if !ok || !plainNumber(v) {
		vals, err := singleQueryValues(c, "limit")
		if err != nil {
			return 0, err
		}
		if v, ok = vals["limit"]; !ok {
			return topSellersDefaultLimit, nil
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > topSellersMaxLimit {
		return 0, badParam("limit", "must be an integer from 1 to %d, got %q", topSellersMaxLimit, v)
	}
	return n, nil
}

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

// etagMatches applies If-None-Match: a list of entity tags, or *, compared weakly (RFC 9110).
func etagMatches(header []string, etag string) bool {
	for _, h := range header {
		for h != "" {
			var tag string
			tag, h, _ = strings.Cut(h, ",")
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// secondsToRefresh is how long a response may be reused: until a minute after the next
// scheduled publication.
func secondsToRefresh(now time.Time) int64 {
	next := now.Truncate(time.Hour).Add(rankRefreshOffset)
	if !now.Before(next) {
		next = next.Add(time.Hour)
	}
	return int64(next.Add(time.Minute).Sub(now) / time.Second)
}

// rankCache holds the rankings this API process serves: category documents prepared for
// serving, for SHOPFLOW_TOPSELLERS_CACHE_TTL, and the set of category ids.
type rankCache struct {
	ttl        time.Duration
	window     time.Duration
	n          int
	reader     *ranking.Reader // nil without Redis
	db         ranking.DB      // nil without Postgres
	logger     *slog.Logger
	maxEntries int

	mu      sync.RWMutex
	entries map[int64]*rankedCategory

	categories   atomic.Pointer[categorySet]
	cacheControl atomic.Pointer[cacheControlValue]
	fills        singleflight.Group

	// Header values shared by every response; never modified.
	fromCache, fromRedis, fromPostgres, jsonType []string
}

func newRankCache(d Deps) *rankCache {
	rc := &rankCache{
		ttl: d.Config.TopSellersCacheTTL, window: d.Config.TopSellersWindow, n: d.Config.TopSellersN,
		logger: d.Logger, maxEntries: rankCacheMaxEntries, entries: map[int64]*rankedCategory{},
		fromCache: []string{"cache"}, fromRedis: []string{"redis"}, fromPostgres: []string{"postgres"},
		jsonType: []string{"application/json; charset=utf-8"},
	}
	if rc.window <= 0 {
		rc.window = 24 * time.Hour
	}
	if rc.n <= 0 {
		rc.n = topSellersMaxLimit
	}
	if rc.logger == nil {
		rc.logger = slog.New(slog.DiscardHandler)
	}
	if d.Redis != nil {
		rc.reader = &ranking.Reader{Redis: d.Redis, Prefix: d.Config.RedisPrefix}
	}
	if d.Store != nil && d.Store.Pool != nil {
		rc.db = d.Store.Pool
	}
	return rc
}

// rankedCategory is a category document prepared for serving: the full document, and where
// each product ends, so the body for ?limit=L is a prefix of it plus docTail.
type rankedCategory struct {
	expires  atomic.Int64 // unix nanoseconds
	full     []byte       // {"category_id":..,"window":..,"generated_at":..,"products":[p1,p2,...]}
	headLen  int          // up to and including "products":[
	ends     []int        // ends[i]: offset just past product i
	variants [topSellersMaxLimit + 1]atomic.Pointer[servedVariant]
}

// servedVariant is what serving one limit needs beyond the bytes: their length and ETag.
type servedVariant struct {
	cut    int      // the body is full[:cut] + docTail
	etag   []string // strong: a hash of the body
	length []string
}

// variant returns the prepared response for limit, preparing it the first time.
func (e *rankedCategory) variant(limit int) *servedVariant {
	if v := e.variants[limit].Load(); v != nil {
		return v
	}
	cut := e.headLen
	if n := min(limit, len(e.ends)); n > 0 {
		cut = e.ends[n-1]
	}
	sum := sha256.New()
	sum.Write(e.full[:cut])
	sum.Write(docTail)
	v := &servedVariant{cut: cut,
		etag:   []string{`"` + hex.EncodeToString(sum.Sum(nil)[:16]) + `"`},
		length: []string{strconv.Itoa(cut + len(docTail))}}
	e.variants[limit].CompareAndSwap(nil, v)
	return e.variants[limit].Load()
}

// prepareCategory turns a published (or computed) CategoryDocument into a rankedCategory.
func prepareCategory(raw []byte, expires time.Time) (*rankedCategory, error) {
	var d struct {
		CategoryID  int64             `json:"category_id"`
		Window      ranking.Window    `json:"window"`
		GeneratedAt time.Time         `json:"generated_at"`
		Products    []json.RawMessage `json:"products"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("decode top-sellers document: %w", err)
	}
	head, err := json.Marshal(struct {
		CategoryID  int64          `json:"category_id"`
		Window      ranking.Window `json:"window"`
		GeneratedAt time.Time      `json:"generated_at"`
	}{d.CategoryID, d.Window, d.GeneratedAt})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(len(raw) + 32)
	b.Write(head[:len(head)-1]) // without its closing brace
	b.WriteString(`,"products":[`)
	e := &rankedCategory{headLen: b.Len(), ends: make([]int, len(d.Products))}
	for i, p := range d.Products {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := json.Compact(&b, p); err != nil {
			return nil, fmt.Errorf("product %d of the top-sellers document: %w", i, err)
		}
		e.ends[i] = b.Len()
	}
	b.Write(docTail)
	e.full = b.Bytes()
	e.expires.Store(expires.UnixNano())
	return e, nil
}

// category returns the category's prepared document and where it came from: the in-process
// cache while fresh, else Redis, else (nothing published, or Redis down) Postgres. When both
// fail, a stale document is better than none.
func (rc *rankCache) category(ctx context.Context, id int64) (*rankedCategory, []string, error) {
	now := time.Now()
	rc.mu.RLock()
	e := rc.entries[id]
	rc.mu.RUnlock()
	if e != nil && now.UnixNano() < e.expires.Load() {
		return e, rc.fromCache, nil
	}
	known, err := rc.knownCategory(ctx, id, now)
	if err != nil && e != nil {
		return e, rc.fromCache, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if !known {
		return nil, nil, errs.E(errs.NotFound, "category %d not found", id)
	}
	type filled struct {
		doc    *rankedCategory
		source []string
	}
	v, err, _ := rc.fills.Do("cat:"+strconv.FormatInt(id, 10), func() (any, error) {
		// Detached from the first request: every request waiting on this fill shares it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rankFillTimeout)
		defer cancel()
		doc, source, err := rc.fill(ctx, id, now)
		if err != nil && e != nil {
			rc.logger.Warn("top sellers: serving a stale ranking", "category_id", id, "err", err)
			e.expires.Store(now.Add(rc.ttl).UnixNano()) // and retry after a TTL, not on every request
			return filled{e, rc.fromCache}, nil
		}
		return filled{doc, source}, err
	})
	if err != nil {
		return nil, nil, err
	}
	f := v.(filled)
	return f.doc, f.source, nil
}

// fill reads the category's document from Redis, or computes it, and caches it.
func (rc *rankCache) fill(ctx context.Context, id int64, now time.Time) (*rankedCategory, []string, error) {
	raw, err := rc.fromRedisCategory(ctx, id)
	source := rc.fromRedis
	if err != nil {
		if !errors.Is(err, ranking.ErrNotPublished) {
			rc.logger.Warn("top sellers: Redis unavailable, computing from Postgres", "category_id", id, "err", err)
		}
		if raw, err = rc.fromPostgresCategory(ctx, id, now); err != nil {
			return nil, nil, errs.Wrap(err, errs.Unavailable, "top sellers are unavailable right now; try again shortly")
		}
		source = rc.fromPostgres
	}
	doc, err := prepareCategory(raw, now.Add(rc.ttl))
	if err != nil {
		return nil, nil, err
	}
	rc.keep(id, doc, now)
	return doc, source, nil
}

func (rc *rankCache) fromRedisCategory(ctx context.Context, id int64) ([]byte, error) {
	if rc.reader == nil {
		return nil, ranking.ErrNotPublished
	}
	ctx, cancel := context.WithTimeout(ctx, rankRedisTimeout)
	defer cancel()
	return rc.reader.Category(ctx, id)
}

func (rc *rankCache) fromPostgresCategory(ctx context.Context, id int64, now time.Time) ([]byte, error) {
	if rc.db == nil {
		return nil, errors.New("no database")
	}
	w := ranking.WindowEnding(now, rc.window)
	cr, at, err := ranking.ComputeCategory(ctx, rc.db, w, rc.n, id)
	if err != nil {
		return nil, err
	}
	return json.Marshal(cr.Document(w, at))
}

// keep caches doc, making room when the cache is full: expired entries first, then arbitrary
// ones (map order is random) until an eighth of the room is free.
func (rc *rankCache) keep(id int64, doc *rankedCategory, now time.Time) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if _, ok := rc.entries[id]; !ok && len(rc.entries) >= rc.maxEntries {
		for k, e := range rc.entries {
			if e.expires.Load() <= now.UnixNano() {
				delete(rc.entries, k)
			}
		}
		for k := range rc.entries {
			if len(rc.entries) < rc.maxEntries-rc.maxEntries/8 {
				break
			}
			delete(rc.entries, k)
		}
	}
	rc.entries[id] = doc
}

// categorySet is every category id, as of loaded.
type categorySet struct {
	ids    map[int64]struct{}
	loaded time.Time
}

// knownCategory says whether the category exists, from a briefly cached set of ids.
func (rc *rankCache) knownCategory(ctx context.Context, id int64, now time.Time) (bool, error) {
	if set := rc.categories.Load(); set != nil {
		_, ok := set.ids[id]
		if age := now.Sub(set.loaded); age < categorySetTTL && (ok || age < categoryRecheck) {
			return ok, nil
		}
	}
	v, err, _ := rc.fills.Do("categories", func() (any, error) {
		if rc.db == nil {
			return nil, errs.E(errs.Unavailable, "categories are unavailable")
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rankFillTimeout)
		defer cancel()
		ids, err := ranking.CategoryIDs(ctx, rc.db)
		if err != nil {
			return nil, errs.Wrap(err, errs.Unavailable, "categories are unavailable right now; try again shortly")
		}
		set := &categorySet{ids: make(map[int64]struct{}, len(ids)), loaded: time.Now()}
		for _, id := range ids {
			set.ids[id] = struct{}{}
		}
		rc.categories.Store(set)
		return set, nil
	})
	if err != nil {
		return false, err
	}
	_, ok := v.(*categorySet).ids[id]
	return ok, nil
}

// cacheControlValue is the public Cache-Control header for one second.
type cacheControlValue struct {
	second int64
	header []string
}

// publicCacheControl is the Cache-Control of category rankings, prepared once per second.
func (rc *rankCache) publicCacheControl(now time.Time) []string {
	sec := now.Unix()
	if v := rc.cacheControl.Load(); v != nil && v.second == sec {
		return v.header
	}
	v := &cacheControlValue{second: sec, header: []string{"public, max-age=" + strconv.FormatInt(secondsToRefresh(now), 10)}}
	rc.cacheControl.Store(v)
	return v.header
}

// seller returns the seller's document (JSON) and where it came from.
func (rc *rankCache) seller(ctx context.Context, sellerID string) ([]byte, []string, error) {
	if rc.db == nil {
		return nil, nil, errs.E(errs.Unavailable, "seller ranks are unavailable")
	}
	raw, meta, err := rc.fromRedisSeller(ctx, sellerID)
	switch {
	case err == nil && raw != nil:
		return raw, rc.fromRedis, nil
	case err == nil: // published, but the seller sold nothing in the window (or does not exist)
		exists, err := ranking.SellerExists(ctx, rc.db, sellerID)
		if err != nil {
			return nil, nil, errs.Wrap(err, errs.Unavailable, "seller ranks are unavailable right now; try again shortly")
		}
		if !exists {
			return nil, nil, errs.E(errs.NotFound, "seller %s not found", sellerID)
		}
		raw, err := json.Marshal(meta.NoSalesDocument(sellerID))
		return raw, rc.fromRedis, err
	case !errors.Is(err, ranking.ErrNotPublished):
		rc.logger.Warn("top sellers: Redis unavailable, computing a seller's rank from Postgres", "seller_id", sellerID, "err", err)
	}
	w := ranking.WindowEnding(time.Now(), rc.window)
	sr, ranked, at, err := ranking.ComputeSeller(ctx, rc.db, w, sellerID)
	if errors.Is(err, ranking.ErrUnknownSeller) {
		return nil, nil, errs.E(errs.NotFound, "seller %s not found", sellerID)
	}
	if err != nil {
		return nil, nil, errs.Wrap(err, errs.Unavailable, "seller ranks are unavailable right now; try again shortly")
	}
	raw, err = json.Marshal(sr.Document(w, at, ranked))
	return raw, rc.fromPostgres, err
}

func (rc *rankCache) fromRedisSeller(ctx context.Context, sellerID string) ([]byte, ranking.Meta, error) {
	if rc.reader == nil {
		return nil, ranking.Meta{}, ranking.ErrNotPublished
	}
	ctx, cancel := context.WithTimeout(ctx, rankRedisTimeout)
	defer cancel()
	return rc.reader.Seller(ctx, sellerID)
}
