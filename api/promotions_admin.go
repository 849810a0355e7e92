package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"shopflow/store"
)

// promotionView is a promotion as admins see it; Announcement says, after a create or change
// that asked for one, whether its announcement was started or failed to start.
type promotionView struct {
	store.Promotion
	Announcement string `json:"announcement,omitempty"`
}

// What an announcement request came to.
const (
	announcementStarted = "started"
	announcementFailed  = "failed"
)

// validCouponCode is the schema's rule for a coupon code.
var validCouponCode = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$`)

const (
	couponCodeRule = "must be 1 to 40 letters, digits, dashes or underscores, starting with a letter or digit"
	percentRule    = `must be a percent above 0 and at most 100 with at most 2 decimals, as a string like "10" or "12.5"`
)

// promotionsCursorPrefix ties a cursor to the promotions list.
const promotionsCursorPrefix = "promotions:"

// listPromotions pages through promotions, newest first; ?active= and ?code= filter them.
func (s *Server) listPromotions(c *gin.Context) {
	q, p, err := listQuery(c, "active", "code")
	if err != nil {
		s.fail(c, err)
		return
	}
	f := store.PromotionFilter{Limit: p.Limit + 1, Code: q["code"]}
	if v, ok := q["active"]; ok {
		switch v {
		case "true", "false":
			b := v == "true"
			f.Active = &b
		default:
			s.fail(c, badParam("active", "must be true or false, got %q", v))
			return
		}
	}
	if p.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		rest, ok := strings.CutPrefix(string(raw), promotionsCursorPrefix)
		id, convErr := strconv.ParseInt(rest, 10, 64)
		if err != nil || !ok || convErr != nil || id <= 0 {
			s.fail(c, badParam("cursor", "is not a cursor this list gave out"))
			return
		}
		f.BeforeID = id
	}
	promos, err := s.Store.Promotions(c, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	var next *string
	if len(promos) > p.Limit {
		promos = promos[:p.Limit]
		cur := base64.RawURLEncoding.EncodeToString([]byte(promotionsCursorPrefix + strconv.FormatInt(promos[p.Limit-1].ID, 10)))
		next = &cur
	}
	views := make([]promotionView, len(promos))
	for i, pr := range promos {
		views[i] = promotionView{Promotion: pr}
	}
	c.JSON(http.StatusOK, listOf(views, next))
}

type createPromotionRequest struct {
	Name             string  `json:"name" binding:"required,max=120"`
	Description      string  `json:"description" binding:"max=2000"`
	Code             *string `json:"code"`
	Kind             string  `json:"kind" binding:"required,oneof=percent fixed free_shipping"`
	Percent          *string `json:"percent"`
	AmountCents      *int64  `json:"amount_cents" binding:"omitnil,gte=1,lte=100000000000"`
	Currency         *string `json:"currency" binding:"omitnil,iso4217"`
	AppliesTo        string  `json:"applies_to" binding:"omitempty,oneof=order products categories"`
	ProductIDs       []int64 `json:"product_ids" binding:"max=1000,dive,gt=0"`
	CategoryIDs      []int64 `json:"category_ids" binding:"max=1000,dive,gt=0"`
	MinSubtotalCents *int64  `json:"min_subtotal_cents" binding:"omitnil,gte=0,lte=100000000000"`
	StartsAt         *string `json:"starts_at"`
	EndsAt           *string `json:"ends_at"`
	UsageLimit       *int    `json:"usage_limit" binding:"omitnil,gte=0,lte=1000000000"`
	PerCustomerLimit *int    `json:"per_customer_limit" binding:"omitnil,gte=1,lte=1000000000"`
	Active           *bool   `json:"active"`
	Announce         *bool   `json:"announce"`
}

// createPromotion adds a promotion. With announce and active, its announcement to opted-in
// customers is started too.
func (s *Server) createPromotion(c *gin.Context) {
	var req createPromotionRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	spec := store.PromotionSpec{
		Name: strings.TrimSpace(req.Name), Description: strings.TrimSpace(req.Description), Code: req.Code,
		Kind: req.Kind, AmountCents: req.AmountCents, Currency: req.Currency, AppliesTo: req.AppliesTo,
		ProductIDs: req.ProductIDs, CategoryIDs: req.CategoryIDs, MinSubtotalCents: deref(req.MinSubtotalCents),
		StartsAt: time.Now().UTC().Truncate(time.Microsecond), UsageLimit: req.UsageLimit,
		PerCustomerLimit: req.PerCustomerLimit, Active: true, Announce: deref(req.Announce),
	}
	if req.Active != nil {
		spec.Active = *req.Active
	}
	if spec.AppliesTo == "" {
		spec.AppliesTo = store.AppliesToOrder
	}
	if spec.Name == "" {
		s.fail(c, fieldInvalid("name", "is required"))
		return
	}
	t, err := parsePromotionText(req.Code, req.Percent, req.StartsAt, req.EndsAt)
	if err != nil {
		s.fail(c, err)
		return
	}
	spec.PercentBP, spec.EndsAt = t.PercentBP, t.EndsAt
	if t.StartsAt != nil {
		spec.StartsAt = *t.StartsAt
	}
	if err := checkPromotionIDs(&spec.ProductIDs, &spec.CategoryIDs); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.Store.CreatePromotion(c, spec)
	if err != nil {
		s.fail(c, err)
		return
	}
	view := promotionView{Promotion: p}
	if p.Announce && p.Active {
		view.Announcement = s.announce(c, p)
	}
	c.Header("Location", fmt.Sprintf("/api/v1/admin/promotions/%d", p.ID))
	c.JSON(http.StatusCreated, view)
}

// getPromotion returns one promotion with its uses.
func (s *Server) getPromotion(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.Store.PromotionByID(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, promotionView{Promotion: p})
}

type updatePromotionRequest struct {
	Name             optional[string]  `json:"name"`
	Description      optional[string]  `json:"description"`
	Code             optional[string]  `json:"code"`
	Kind             optional[string]  `json:"kind"`
	Percent          optional[string]  `json:"percent"`
	AmountCents      optional[int64]   `json:"amount_cents"`
	Currency         optional[string]  `json:"currency"`
	AppliesTo        optional[string]  `json:"applies_to"`
	ProductIDs       optional[[]int64] `json:"product_ids"`
	CategoryIDs      optional[[]int64] `json:"category_ids"`
	MinSubtotalCents optional[int64]   `json:"min_subtotal_cents"`
	StartsAt         optional[string]  `json:"starts_at"`
	EndsAt           optional[string]  `json:"ends_at"`
	UsageLimit       optional[int]     `json:"usage_limit"`
	PerCustomerLimit optional[int]     `json:"per_customer_limit"`
	Active           optional[bool]    `json:"active"`
	Announce         optional[bool]    `json:"announce"`
}

// promotionChanges is the validated form of updatePromotionRequest.
type promotionChanges struct {
	Name             *string  `json:"name" binding:"omitnil,min=1,max=120"`
	Description      *string  `json:"description" binding:"omitnil,max=2000"`
	Kind             *string  `json:"kind" binding:"omitnil,oneof=percent fixed free_shipping"`
	AmountCents      *int64   `json:"amount_cents" binding:"omitnil,gte=1,lte=100000000000"`
	Currency         *string  `json:"currency" binding:"omitnil,iso4217"`
	AppliesTo        *string  `json:"applies_to" binding:"omitnil,oneof=order products categories"`
	ProductIDs       *[]int64 `json:"product_ids" binding:"omitnil,max=1000,dive,gt=0"`
	CategoryIDs      *[]int64 `json:"category_ids" binding:"omitnil,max=1000,dive,gt=0"`
	MinSubtotalCents *int64   `json:"min_subtotal_cents" binding:"omitnil,gte=0,lte=100000000000"`
	UsageLimit       *int     `json:"usage_limit" binding:"omitnil,gte=0,lte=1000000000"`
	PerCustomerLimit *int     `json:"per_customer_limit" binding:"omitnil,gte=1,lte=1000000000"`
}

// updatePromotion changes a promotion. Null clears code (making it automatic), amount_cents,
// currency, ends_at, usage_limit and per_customer_limit. Changing kind or applies_to drops the
// fields of the old one unless they are sent too. The result is checked as a whole.
func (s *Server) updatePromotion(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req updatePromotionRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if err := rejectNulls(map[string]bool{"name": req.Name.Null, "description": req.Description.Null,
		"kind": req.Kind.Null, "applies_to": req.AppliesTo.Null, "product_ids": req.ProductIDs.Null,
		"category_ids": req.CategoryIDs.Null, "min_subtotal_cents": req.MinSubtotalCents.Null,
		"starts_at": req.StartsAt.Null, "active": req.Active.Null, "announce": req.Announce.Null}); err != nil {
		s.fail(c, err)
		return
	}
	ch := promotionChanges{Name: req.Name.Ptr(), Description: req.Description.Ptr(), Kind: req.Kind.Ptr(),
		AmountCents: req.AmountCents.Ptr(), Currency: req.Currency.Ptr(), AppliesTo: req.AppliesTo.Ptr(),
		ProductIDs: req.ProductIDs.Ptr(), CategoryIDs: req.CategoryIDs.Ptr(), MinSubtotalCents: req.MinSubtotalCents.Ptr(),
		UsageLimit: req.UsageLimit.Ptr(), PerCustomerLimit: req.PerCustomerLimit.Ptr()}
	if ch.Name != nil {
		trimmed := strings.TrimSpace(*ch.Name)
		ch.Name = &trimmed
	}
	if ch.Description != nil {
		trimmed := strings.TrimSpace(*ch.Description)
		ch.Description = &trimmed
	}
	if err := validate(ch); err != nil {
		s.fail(c, err)
		return
	}
	t, err := parsePromotionText(req.Code.Ptr(), req.Percent.Ptr(), req.StartsAt.Ptr(), req.EndsAt.Ptr())
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := checkPromotionIDs(ch.ProductIDs, ch.CategoryIDs); err != nil {
		s.fail(c, err)
		return
	}
	apply := func(sp *store.PromotionSpec) error {
		if ch.Kind != nil && *ch.Kind != sp.Kind {
			sp.Kind = *ch.Kind
			sp.PercentBP, sp.AmountCents = nil, nil
		}
		if ch.AppliesTo != nil && *ch.AppliesTo != sp.AppliesTo {
			sp.AppliesTo = *ch.AppliesTo
			sp.ProductIDs, sp.CategoryIDs = nil, nil
		}
		setIf(&sp.Name, ch.Name)
		setIf(&sp.Description, ch.Description)
		setIf(&sp.MinSubtotalCents, ch.MinSubtotalCents)
		setIf(&sp.Active, req.Active.Ptr())
		setIf(&sp.Announce, req.Announce.Ptr())
		if ch.ProductIDs != nil {
			sp.ProductIDs = *ch.ProductIDs
		}
		if ch.CategoryIDs != nil {
			sp.CategoryIDs = *ch.CategoryIDs
		}
		if req.Code.Set {
			sp.Code = req.Code.Ptr()
		}
		if req.AmountCents.Set {
			sp.AmountCents = ch.AmountCents
		}
		if req.Currency.Set {
			sp.Currency = ch.Currency
		}
		if req.UsageLimit.Set {
			sp.UsageLimit = ch.UsageLimit
		}
		if req.PerCustomerLimit.Set {
			sp.PerCustomerLimit = ch.PerCustomerLimit
		}
		setIf(&sp.StartsAt, t.StartsAt)
		if req.EndsAt.Set {
			sp.EndsAt = t.EndsAt
		}
		if req.Percent.Set {
			sp.PercentBP = t.PercentBP
		}
		return nil
	}
	p, err := s.Store.UpdatePromotion(c, id, apply)
	if err != nil {
		s.fail(c, err)
		return
	}
	view := promotionView{Promotion: p}
	if p.Announce && p.Active && (req.Announce.Set || req.Active.Set || req.StartsAt.Set) {
		view.Announcement = s.announce(c, p)
	}
	c.JSON(http.StatusOK, view)
}

// deactivatePromotion stops a promotion applying to new orders. It is never deleted: orders
// that used it refer to it.
func (s *Server) deactivatePromotion(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Store.DeactivatePromotion(c, id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// announce starts the promotion's announcement, saying how that went. A failure does not undo
// the promotion, which exists and applies either way: the admin sees "failed" and can PATCH
// announce true again to retry (announcing twice tells nobody twice).
func (s *Server) announce(c *gin.Context, p store.Promotion) string {
	if s.Announcer == nil {
		return ""
	}
	if err := s.Announcer.AnnouncePromotion(c.Request.Context(), p.ID, p.StartsAt); err != nil {
		s.log(c).WarnContext(c.Request.Context(), "promotion announcement failed to start", "promotion_id", p.ID, "err", err)
		return announcementFailed
	}
	return announcementStarted
}

// promotionText is a promotion request's fields that arrive as text, parsed.
type promotionText struct {
	PercentBP *int
	StartsAt  *time.Time
	EndsAt    *time.Time
}

// parsePromotionText checks the forms binding tags cannot (the coupon code, the percent, the
// times) and parses them; each may be nil.
func parsePromotionText(code, percent, startsAt, endsAt *string) (promotionText, error) {
	var t promotionText
	if code != nil && !validCouponCode.MatchString(*code) {
		return t, fieldInvalid("code", couponCodeRule)
	}
	if percent != nil {
		bp, ok := parsePercent(*percent, 2)
		if !ok || bp == 0 {
			return t, fieldInvalid("percent", percentRule)
		}
		n := int(bp)
		t.PercentBP = &n
	}
	for _, f := range []struct {
		name string
		in   *string
		out  **time.Time
	}{{"starts_at", startsAt, &t.StartsAt}, {"ends_at", endsAt, &t.EndsAt}} {
		if f.in == nil {
			continue
		}
		v, err := parseInstant(f.name, *f.in)
		if err != nil {
			return t, err
		}
		*f.out = &v
	}
	return t, nil
}

// checkPromotionIDs fails naming the first id listed twice.
func checkPromotionIDs(productIDs, categoryIDs *[]int64) error {
	for _, l := range []struct {
		field string
		ids   *[]int64
	}{{"product_ids", productIDs}, {"category_ids", categoryIDs}} {
		if l.ids == nil {
			continue
		}
		if i := firstRepeat(*l.ids); i >= 0 {
			return fieldInvalid(fmt.Sprintf("%s[%d]", l.field, i), fmt.Sprintf("%d is listed twice", (*l.ids)[i]))
		}
	}
	return nil
}

// setIf sets *dst to *v when v is not nil.
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
