package api

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"shopflow/store"
)

// taxRateRule is what a rate must look like.
const taxRateRule = `must be a percent from 0 to 100 with at most 4 decimals, as a string like "19" or "8.875"`

// taxCountryFilter is a country filter: two letters, either case.
var taxCountryFilter = regexp.MustCompile(`^[A-Za-z]{2}$`)

// listTaxRates lists tax rates by country, region and class; ?country= keeps one country's.
func (s *Server) listTaxRates(c *gin.Context) {
	q, p, err := listQuery(c, "country")
	if err != nil {
		s.fail(c, err)
		return
	}
	country := ""
	if v, ok := q["country"]; ok {
		if !taxCountryFilter.MatchString(v) {
			s.fail(c, badParam("country", "must be an ISO 3166-1 alpha-2 country code, like DE, got %q", v))
			return
		}
		country = strings.ToUpper(v)
	}
	rates, err := s.Store.TaxRates(c, country)
	if err != nil {
		s.fail(c, err)
		return
	}
	l, err := pageOf(rates, p, "tax-rates?country="+country)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
}

type createTaxRateRequest struct {
	Country  string  `json:"country" binding:"required,iso3166_1_alpha2"`
	Region   string  `json:"region" binding:"max=100"`
	TaxClass *string `json:"tax_class"`
	Rate     string  `json:"rate" binding:"required"`
	Name     string  `json:"name" binding:"max=120"`
}

// createTaxRate adds the rate of a tax class in a country or region. The region is stored
// upper-case, ” meaning the whole country; the class defaults to standard.
func (s *Server) createTaxRate(c *gin.Context) {
	var req createTaxRateRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	n := store.NewTaxRate{Country: req.Country, Region: strings.ToUpper(strings.TrimSpace(req.Region)),
		TaxClass: store.DefaultTaxClass, Name: strings.TrimSpace(req.Name)}
	if req.TaxClass != nil {
		if !store.ValidTaxClass(*req.TaxClass) {
			s.fail(c, fieldInvalid("tax_class", taxClassRule))
			return
		}
		n.TaxClass = *req.TaxClass
	}
	ppm, ok := parsePercent(req.Rate, 4)
	if !ok {
		s.fail(c, fieldInvalid("rate", taxRateRule))
		return
	}
	n.RatePPM = int(ppm)
	r, err := s.Store.CreateTaxRate(c, n)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/admin/tax-rates/%d", r.ID))
	c.JSON(http.StatusCreated, r)
}

type updateTaxRateRequest struct {
	Country  optional[string] `json:"country"`
	Region   optional[string] `json:"region"`
	TaxClass optional[string] `json:"tax_class"`
	Rate     optional[string] `json:"rate"`
	Name     optional[string] `json:"name"`
}

// taxRateChanges is the validated form of updateTaxRateRequest.
type taxRateChanges struct {
	Country  *string `json:"country" binding:"omitnil,iso3166_1_alpha2"`
	Region   *string `json:"region" binding:"omitnil,max=100"`
	TaxClass *string `json:"tax_class"`
	Rate     *string `json:"rate"`
	Name     *string `json:"name" binding:"omitnil,max=120"`
}

// updateTaxRate changes a tax rate; moving it onto another rate's country, region and class
// is a 409.
func (s *Server) updateTaxRate(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req updateTaxRateRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if err := rejectNulls(map[string]bool{"country": req.Country.Null, "region": req.Region.Null,
		"tax_class": req.TaxClass.Null, "rate": req.Rate.Null, "name": req.Name.Null}); err != nil {
		s.fail(c, err)
		return
	}
	ch := taxRateChanges{Country: req.Country.Ptr(), Region: req.Region.Ptr(), TaxClass: req.TaxClass.Ptr(),
		Rate: req.Rate.Ptr(), Name: req.Name.Ptr()}
	if err := validate(ch); err != nil {
		s.fail(c, err)
		return
	}
	u := store.TaxRateUpdate{Country: ch.Country, TaxClass: ch.TaxClass}
	if ch.Region != nil {
		region := strings.ToUpper(strings.TrimSpace(*ch.Region))
		u.Region = &region
	}
	if ch.Name != nil {
		name := strings.TrimSpace(*ch.Name)
		u.Name = &name
	}
	if ch.TaxClass != nil && !store.ValidTaxClass(*ch.TaxClass) {
		s.fail(c, fieldInvalid("tax_class", taxClassRule))
		return
	}
	if ch.Rate != nil {
		ppm, ok := parsePercent(*ch.Rate, 4)
		if !ok {
			s.fail(c, fieldInvalid("rate", taxRateRule))
			return
		}
		n := int(ppm)
		u.RatePPM = &n
	}
	r, err := s.Store.UpdateTaxRate(c, id, u)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}
