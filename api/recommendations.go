package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"shopflow/errs"
	"shopflow/recommend"
)

// recsDefaultLimit is the number of products recommendations are served with by default.
const recsDefaultLimit = 10

func (s *Server) recommendationRoutes(v1 *gin.RouterGroup, r roleChecks) {
	v1.GET("/products/:id/recommendations", s.productRecommendations)
	v1.GET("/users/me/recommendations", r.customer, s.myRecommendations)
}

// productRecommendations serves GET /products/{id}/recommendations: what customers who bought
// the product also bought, filled in with top sellers, from the prepared answer in the
// recommendations cache; like top sellers it sets prepared header slices rather than calling
// Set.
func (s *Server) productRecommendations(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	limit, err := fastLimit(c, recsDefaultLimit, recommend.MaxServed)
	if err != nil {
		s.fail(c, err)
		return
	}
	if s.Recommendations == nil {
		s.fail(c, errs.E(errs.Unavailable, "recommendations are not served by this process"))
		return
	}
	v, err := s.Recommendations.Product(c.Request.Context(), id, limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	public, _ := s.Recommendations.CacheControl()
	s.serveRecommendations(c, v, public)
}

// myRecommendations serves GET /users/me/recommendations: the calling customer's own, made
// from what they bought and wishlisted. Private: a shared cache must not keep them.
func (s *Server) myRecommendations(c *gin.Context) {
	limit, err := fastLimit(c, recsDefaultLimit, recommend.MaxServed)
	if err != nil {
		s.fail(c, err)
		return
	}
	if s.Recommendations == nil {
		s.fail(c, errs.E(errs.Unavailable, "recommendations are not served by this process"))
		return
	}
	v, err := s.Recommendations.Customer(c.Request.Context(), mustClaims(c).UserID(), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	_, private := s.Recommendations.CacheControl()
	s.serveRecommendations(c, v, private)
}

// serveRecommendations writes a prepared body, or 304 when the client holds it already.
func (s *Server) serveRecommendations(c *gin.Context, v *recommend.Variant, cacheControl []string) {
	h := c.Writer.Header()
	h["Etag"] = v.ETag
	h["Cache-Control"] = cacheControl
	if inm := c.Request.Header["If-None-Match"]; len(inm) > 0 && etagMatches(inm, v.ETag[0]) {
		c.Status(http.StatusNotModified)
		return
	}
	h["Content-Type"] = s.rankHeaders.jsonType
	h["Content-Length"] = v.Length
	c.Status(http.StatusOK)
	_, _ = v.WriteTo(c.Writer)
}
