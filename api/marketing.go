package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"shopflow/store"
)

// PromotionAnnouncer announces a promotion to the customers who opted in.
type PromotionAnnouncer interface {
	// AnnouncePromotion starts (or finds running) the promotion's announcement, which waits
	// until startsAt before telling anyone. Announcing a promotion twice tells nobody twice.
	AnnouncePromotion(ctx context.Context, promotionID int64, startsAt time.Time) error
}

// marketingRoutes: customers' consent to promotion announcements.
func (s *Server) marketingRoutes(v1 *gin.RouterGroup, r roleChecks) {
	v1.GET("/users/me/marketing-preferences", r.customer, s.getMarketingPreferences)
	v1.PUT("/users/me/marketing-preferences", r.customer, s.putMarketingPreferences)
}

// getMarketingPreferences returns the customer's consent to promotion announcements; one that
// never chose has not opted in.
func (s *Server) getMarketingPreferences(c *gin.Context) {
	p, err := s.Store.MarketingPreferences(c, mustClaims(c).UserID())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// marketingPreferencesRequest is the body of PUT /users/me/marketing-preferences.
type marketingPreferencesRequest struct {
	Promotions *bool    `json:"promotions" binding:"required"`
	Channels   []string `json:"channels" binding:"required,unique,dive,oneof=email sms inapp"`
	Phone      string   `json:"phone" binding:"omitempty,max=16"`
}

// putMarketingPreferences replaces the customer's consent and channels. Opting in needs a
// channel; sms needs a valid phone number in E.164 form. Email goes to the account's email.
func (s *Server) putMarketingPreferences(c *gin.Context) {
	var r marketingPreferencesRequest
	if err := bindJSON(c, &r); err != nil {
		s.fail(c, err)
		return
	}
	if r.Phone != "" && !validE164(r.Phone) {
		s.fail(c, fieldInvalid("phone", "must be a valid phone number in E.164 form, like +14155550123"))
		return
	}
	if slices.Contains(r.Channels, store.ChannelSMS) && r.Phone == "" {
		s.fail(c, fieldInvalid("phone", "is required when channels include sms"))
		return
	}
	if *r.Promotions && len(r.Channels) == 0 {
		s.fail(c, fieldInvalid("channels", "must name at least one channel to hear of promotions on"))
		return
	}
	p, err := s.Store.PutMarketingPreferences(c, mustClaims(c).UserID(),
		store.MarketingPreferences{Promotions: *r.Promotions, Channels: r.Channels, Phone: r.Phone})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}
