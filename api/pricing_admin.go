package api

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// pricingRoutes: shipping zones and methods, tax rates, promotions (admin CRUD).
func (s *Server) pricingRoutes(v1 *gin.RouterGroup, r roleChecks) {
	v1.GET("/admin/shipping/zones", r.admin, s.listShippingZones)
	v1.POST("/admin/shipping/zones", r.admin, s.idempotent, s.createShippingZone)
	v1.GET("/admin/shipping/zones/:id", r.admin, s.getShippingZone)
	v1.PATCH("/admin/shipping/zones/:id", r.admin, s.updateShippingZone)
	v1.DELETE("/admin/shipping/zones/:id", r.admin, s.deleteByID(s.Store.DeleteShippingZone)) // with its countries and methods
	v1.GET("/admin/shipping/zones/:id/methods", r.admin, s.listShippingMethods)
	v1.POST("/admin/shipping/zones/:id/methods", r.admin, s.idempotent, s.createShippingMethod)
	v1.PATCH("/admin/shipping/methods/:id", r.admin, s.updateShippingMethod)
	v1.DELETE("/admin/shipping/methods/:id", r.admin, s.deleteByID(s.Store.DeleteShippingMethod))

	v1.GET("/admin/tax-rates", r.admin, s.listTaxRates)
	v1.POST("/admin/tax-rates", r.admin, s.idempotent, s.createTaxRate)
	v1.PATCH("/admin/tax-rates/:id", r.admin, s.updateTaxRate)
	v1.DELETE("/admin/tax-rates/:id", r.admin, s.deleteByID(s.Store.DeleteTaxRate))

	v1.GET("/admin/promotions", r.admin, s.listPromotions)
	v1.POST("/admin/promotions", r.admin, s.idempotent, s.createPromotion)
	v1.GET("/admin/promotions/:id", r.admin, s.getPromotion)
	v1.PATCH("/admin/promotions/:id", r.admin, s.updatePromotion)
	v1.DELETE("/admin/promotions/:id", r.admin, s.deactivatePromotion)
}

// deleteByID answers a DELETE of the row whose id is the path's: 204, or the error.
func (s *Server) deleteByID(del func(context.Context, int64) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathInt64(c, "id")
		if err == nil {
			err = del(c, id)
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

// taxClassRule is what a tax class must look like, as the schema checks it.
const taxClassRule = "must be a lower-case letter then up to 31 lower-case letters, digits or underscores, like standard or reduced_food"

// decimalPercent is a percent as admins write it: up to three integer digits, a fraction
// optional. A string rather than a JSON number, so 8.875 arrives exactly as typed.
var decimalPercent = regexp.MustCompile(`^([0-9]{1,3})(?:\.([0-9]+))?$`)

// parsePercent reads a decimal percent string from 0 to 100 with at most decimals digits after
// the point, as an integer count of 10^-decimals percent: parsePercent("8.875", 4) is 88750,
// the rate in parts per million; parsePercent("12.5", 2) is 1250, in basis points.
func parsePercent(s string, decimals int) (int64, bool) {
	m := decimalPercent.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil || len(m[2]) > decimals {
		return 0, false
	}
	whole, _ := strconv.ParseInt(m[1], 10, 64)
	frac := m[2] + strings.Repeat("0", decimals-len(m[2]))
	f, _ := strconv.ParseInt("0"+frac, 10, 64)
	scale := int64(1)
	for range decimals {
		scale *= 10
	}
	v := whole*scale + f
	if v > 100*scale {
		return 0, false
	}
	return v, true
}

// parseInstant reads an RFC 3339 date-time body field, as UTC at Postgres' precision.
func parseInstant(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fieldInvalid(field, "must be an RFC 3339 date-time, like 2026-05-01T00:00:00Z")
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

// firstRepeat is the index of the first value that appeared earlier in values, or -1.
func firstRepeat[T comparable](values []T) int {
	seen := make(map[T]bool, len(values))
	for i, v := range values {
		if seen[v] {
			return i
		}
		seen[v] = true
	}
	return -1
}
