package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"shopflow/store"
)

// shippingZoneDetail is a zone with its methods, as GET of one zone shows it.
type shippingZoneDetail struct {
	store.ShippingZone
	Methods []store.ShippingMethod `json:"methods"`
}

// listShippingZones lists every shipping zone with its countries, by name.
func (s *Server) listShippingZones(c *gin.Context) {
	_, p, err := listQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	zones, err := s.Store.ShippingZones(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	l, err := pageOf(zones, p, "shipping-zones")
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
}

type createShippingZoneRequest struct {
	Name      string   `json:"name" binding:"required,max=120"`
	Countries []string `json:"countries" binding:"max=250,dive,iso3166_1_alpha2"`
}

// createShippingZone adds a zone. A country already in another zone is a 409 naming that zone.
func (s *Server) createShippingZone(c *gin.Context) {
	var req createShippingZoneRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" {
		s.fail(c, fieldInvalid("name", "is required"))
		return
	}
	if err := uniqueCountries(req.Countries); err != nil {
		s.fail(c, err)
		return
	}
	if req.Countries == nil {
		req.Countries = []string{}
	}
	z, err := s.Store.CreateShippingZone(c, store.NewShippingZone{Name: req.Name, Countries: req.Countries})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/admin/shipping/zones/%d", z.ID))
	c.JSON(http.StatusCreated, z)
}

// getShippingZone returns a zone with its countries and methods.
func (s *Server) getShippingZone(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	z, err := s.Store.ShippingZoneByID(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	methods, err := s.Store.ShippingMethods(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if methods == nil {
		methods = []store.ShippingMethod{}
	}
	c.JSON(http.StatusOK, shippingZoneDetail{ShippingZone: z, Methods: methods})
}

type updateShippingZoneRequest struct {
	Name      optional[string]   `json:"name"`
	Countries optional[[]string] `json:"countries"`
}

// shippingZoneChanges is the validated form of updateShippingZoneRequest.
type shippingZoneChanges struct {
	Name      *string   `json:"name" binding:"omitnil,min=1,max=120"`
	Countries *[]string `json:"countries" binding:"omitnil,max=250,dive,iso3166_1_alpha2"`
}

// updateShippingZone renames a zone or replaces its countries as a whole.
func (s *Server) updateShippingZone(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req updateShippingZoneRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if err := rejectNulls(map[string]bool{"name": req.Name.Null, "countries": req.Countries.Null}); err != nil {
		s.fail(c, err)
		return
	}
	ch := shippingZoneChanges{Name: req.Name.Ptr(), Countries: req.Countries.Ptr()}
	if ch.Name != nil {
		trimmed := strings.TrimSpace(*ch.Name)
		ch.Name = &trimmed
	}
	if ch.Countries != nil && *ch.Countries == nil {
		ch.Countries = &[]string{}
	}
	if err := validate(ch); err != nil {
		s.fail(c, err)
		return
	}
	if ch.Countries != nil {
		if err := uniqueCountries(*ch.Countries); err != nil {
			s.fail(c, err)
			return
		}
	}
	z, err := s.Store.UpdateShippingZone(c, id, store.ShippingZoneUpdate{Name: ch.Name, Countries: ch.Countries})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, z)
}

// uniqueCountries fails naming the first country listed twice.
func uniqueCountries(countries []string) error {
	if i := firstRepeat(countries); i >= 0 {
		return fieldInvalid(fmt.Sprintf("countries[%d]", i), countries[i]+" is listed twice")
	}
	return nil
}

// listShippingMethods lists a zone's methods by code.
func (s *Server) listShippingMethods(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	_, p, err := listQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	methods, err := s.Store.ShippingMethods(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	l, err := pageOf(methods, p, fmt.Sprintf("shipping-zones/%d/methods", id))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
}

type createShippingMethodRequest struct {
	Code          string `json:"code" binding:"required,max=60"`
	Name          string `json:"name" binding:"required,max=120"`
	Kind          string `json:"kind" binding:"required,oneof=flat weight"`
	Currency      string `json:"currency" binding:"required,iso4217"`
	PriceCents    *int64 `json:"price_cents" binding:"required,gte=0,lte=100000000"`
	PerKgCents    *int64 `json:"per_kg_cents" binding:"omitnil,gte=0,lte=100000000"`
	FreeOverCents *int64 `json:"free_over_cents" binding:"omitnil,gte=0,lte=100000000000"`
	Active        *bool  `json:"active"`
}

// createShippingMethod adds a method to a zone; its code must be new in the zone.
func (s *Server) createShippingMethod(c *gin.Context) {
	zoneID, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req createShippingMethodRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	n := store.NewShippingMethod{Code: req.Code, Name: req.Name, Kind: req.Kind, Currency: req.Currency,
		PriceCents: *req.PriceCents, PerKgCents: deref(req.PerKgCents), FreeOverCents: req.FreeOverCents, Active: true}
	if req.Active != nil {
		n.Active = *req.Active
	}
	if err := checkShippingMethod(n.Name, n.Code, n.Kind, n.PerKgCents); err != nil {
		s.fail(c, err)
		return
	}
	m, err := s.Store.CreateShippingMethod(c, zoneID, n)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/admin/shipping/methods/%d", m.ID))
	c.JSON(http.StatusCreated, m)
}

type updateShippingMethodRequest struct {
	Code          optional[string] `json:"code"`
	Name          optional[string] `json:"name"`
	Kind          optional[string] `json:"kind"`
	Currency      optional[string] `json:"currency"`
	PriceCents    optional[int64]  `json:"price_cents"`
	PerKgCents    optional[int64]  `json:"per_kg_cents"`
	FreeOverCents optional[int64]  `json:"free_over_cents"`
	Active        optional[bool]   `json:"active"`
}

// shippingMethodChanges is the validated form of updateShippingMethodRequest.
type shippingMethodChanges struct {
	Code          *string `json:"code" binding:"omitnil,max=60"`
	Name          *string `json:"name" binding:"omitnil,min=1,max=120"`
	Kind          *string `json:"kind" binding:"omitnil,oneof=flat weight"`
	Currency      *string `json:"currency" binding:"omitnil,iso4217"`
	PriceCents    *int64  `json:"price_cents" binding:"omitnil,gte=0,lte=100000000"`
	PerKgCents    *int64  `json:"per_kg_cents" binding:"omitnil,gte=0,lte=100000000"`
	FreeOverCents *int64  `json:"free_over_cents" binding:"omitnil,gte=0,lte=100000000000"`
}

// updateShippingMethod changes a method; free_over_cents null makes it never free. Turning a
// weight method flat needs per_kg_cents 0 with it.
func (s *Server) updateShippingMethod(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req updateShippingMethodRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if err := rejectNulls(map[string]bool{"code": req.Code.Null, "name": req.Name.Null, "kind": req.Kind.Null,
		"currency": req.Currency.Null, "price_cents": req.PriceCents.Null, "per_kg_cents": req.PerKgCents.Null,
		"active": req.Active.Null}); err != nil {
		s.fail(c, err)
		return
	}
	ch := shippingMethodChanges{Code: req.Code.Ptr(), Name: req.Name.Ptr(), Kind: req.Kind.Ptr(), Currency: req.Currency.Ptr(),
		PriceCents: req.PriceCents.Ptr(), PerKgCents: req.PerKgCents.Ptr(), FreeOverCents: req.FreeOverCents.Ptr()}
	if ch.Name != nil {
		trimmed := strings.TrimSpace(*ch.Name)
		ch.Name = &trimmed
	}
	if err := validate(ch); err != nil {
		s.fail(c, err)
		return
	}
	if ch.Code != nil && !store.ValidSlug(*ch.Code) {
		s.fail(c, fieldInvalid("code", "must be lower-case letters, digits and single dashes"))
		return
	}
	if ch.Kind != nil && *ch.Kind == store.ShippingFlat && ch.PerKgCents != nil && *ch.PerKgCents != 0 {
		s.fail(c, fieldInvalid("per_kg_cents", "must be 0 unless kind is weight"))
		return
	}
	m, err := s.Store.UpdateShippingMethod(c, id, store.ShippingMethodUpdate{
		Code: ch.Code, Name: ch.Name, Kind: ch.Kind, Currency: ch.Currency, PriceCents: ch.PriceCents,
		PerKgCents: ch.PerKgCents, SetFreeOver: req.FreeOverCents.Set, FreeOverCents: ch.FreeOverCents,
		Active: req.Active.Ptr(),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}

// checkShippingMethod checks the rules binding tags cannot say: a name that is not blank, a
// slug code, and a per-kilogram price only on a weight method.
func checkShippingMethod(name, code, kind string, perKgCents int64) error {
	switch {
	case name == "":
		return fieldInvalid("name", "is required")
	case !store.ValidSlug(code):
		return fieldInvalid("code", "must be lower-case letters, digits and single dashes")
	case kind != store.ShippingWeight && perKgCents != 0:
		return fieldInvalid("per_kg_cents", "must be 0 unless kind is weight")
	}
	return nil
}

// deref is *p, or T's zero value when p is nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
