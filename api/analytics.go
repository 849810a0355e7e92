package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"shopflow/errs"
	"shopflow/store"
)

// Seller and platform analytics (docs/ANALYTICS.md): figures per period from the hourly
// rollups. A seller's route takes the seller from its token, so no request reaches another
// seller's numbers; admins name any seller, or ask for the whole platform.

const (
	// analyticsMaxPeriods bounds a range: each period is one entry of the answer.
	analyticsMaxPeriods = 1000
	// analyticsDefaultPeriods is how many periods a range without from covers.
	analyticsDefaultPeriods = 30
	// analyticsDefaultTop and analyticsMaxTop bound the product and category lists (limit).
	analyticsDefaultTop = 20
	analyticsMaxTop     = 100
)

func (s *Server) analyticsRoutes(v1 *gin.RouterGroup, r roleChecks) {
	v1.GET("/sellers/me/analytics", r.seller, s.myAnalytics)
	v1.GET("/sellers/:id/analytics", r.admin, s.sellerAnalytics)
	v1.GET("/admin/analytics", r.admin, s.platformAnalytics)
}

// myAnalytics serves GET /sellers/me/analytics: the calling seller's figures.
func (s *Server) myAnalytics(c *gin.Context) {
	sellerID, ok := s.callerSeller(c)
	if !ok {
		return
	}
	s.serveAnalytics(c, sellerID)
}

// sellerAnalytics serves GET /sellers/{id}/analytics: any seller's figures, for admins.
func (s *Server) sellerAnalytics(c *gin.Context) {
	id, err := pathUUID(c, "id", "a seller")
	if err != nil {
		s.fail(c, err)
		return
	}
	exists, err := s.Store.SellerExists(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !exists {
		s.fail(c, errs.E(errs.NotFound, "seller %s not found", id))
		return
	}
	s.serveAnalytics(c, id)
}

// platformAnalytics serves GET /admin/analytics: every seller's figures together, the best
// categories and carts-to-orders conversion.
func (s *Server) platformAnalytics(c *gin.Context) {
	s.serveAnalytics(c, "")
}

// serveAnalytics reads the query and answers with the analytics of sellerID ("" = platform).
func (s *Server) serveAnalytics(c *gin.Context, sellerID string) {
	q, err := analyticsQuery(c, time.Now())
	if err != nil {
		s.fail(c, err)
		return
	}
	q.SellerID = sellerID
	a, err := s.Store.SalesAnalytics(c.Request.Context(), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, max-age=60")
	c.JSON(http.StatusOK, a)
}

// analyticsQuery reads granularity (hour, day or week; default day), from and to (RFC 3339
// times or YYYY-MM-DD days, UTC; to excluded) and limit. The range is widened to whole periods:
// from back to its period's start, to forward to the next period start unless it is one. to
// defaults to the end of the current period, from to analyticsDefaultPeriods before to.
func analyticsQuery(c *gin.Context, now time.Time) (store.AnalyticsQuery, error) {
	v, err := singleQueryValues(c, "from", "to", "granularity", "limit")
	if err != nil {
		return store.AnalyticsQuery{}, err
	}
	q := store.AnalyticsQuery{Granularity: store.GranularityDay, TopN: analyticsDefaultTop}
	if g, ok := v["granularity"]; ok {
		q.Granularity = store.Granularity(g)
		if !q.Granularity.Valid() {
			return q, badParam("granularity", "must be hour, day or week, got %q", g)
		}
	}
	if l, ok := v["limit"]; ok {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > analyticsMaxTop {
			return q, badParam("limit", "must be an integer from 1 to %d, got %q", analyticsMaxTop, l)
		}
		q.TopN = n
	}
	g := q.Granularity
	to := g.Next(g.Floor(now))
	if raw, ok := v["to"]; ok {
		if to, err = analyticsTime("to", raw); err != nil {
			return q, err
		}
	}
	from := time.Time{}
	if raw, ok := v["from"]; ok {
		if from, err = analyticsTime("from", raw); err != nil {
			return q, err
		}
		if !from.Before(to) {
			return q, badParam("from", "must be before to (%s), got %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
		}
	}
	if q.To = g.Floor(to); q.To.Before(to) {
		q.To = g.Next(q.To)
	}
	if from.IsZero() {
		from = q.To
		for range analyticsDefaultPeriods {
			from = g.Floor(from.Add(-time.Nanosecond))
		}
	}
	q.From = g.Floor(from)
	if n := g.Periods(q.From, q.To); n > analyticsMaxPeriods {
		return q, errs.E(errs.Invalid, "from %s to %s is %d periods of a %s; at most %d at a time",
			q.From.Format(time.RFC3339), q.To.Format(time.RFC3339), n, g, analyticsMaxPeriods).WithDetails("parameter", "from")
	}
	return q, nil
}

// analyticsTime parses an RFC 3339 time or a YYYY-MM-DD day (its start in UTC).
func analyticsTime(name, raw string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, raw); err == nil {
		return t, nil
	}
	return time.Time{}, badParam(name, "must be an RFC 3339 time or a YYYY-MM-DD day, got %q", raw)
}
