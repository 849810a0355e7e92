package api

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"
)

// PromotionAnnouncer announces a promotion to the customers who opted in.
type PromotionAnnouncer interface {
	// AnnouncePromotion starts (or finds running) the promotion's announcement, which waits
	// until startsAt before telling anyone. Announcing a promotion twice tells nobody twice.
	AnnouncePromotion(ctx context.Context, promotionID int64, startsAt time.Time) error
}

// marketingRoutes: customers' consent to promotion announcements.
func (s *Server) marketingRoutes(v1 *gin.RouterGroup, r roleChecks) {}
