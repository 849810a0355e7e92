package api

import "github.com/gin-gonic/gin"

// PromotionAnnouncer starts the announcement of a promotion to opted-in customers.
type PromotionAnnouncer interface{}

// marketingRoutes: customers' consent to promotion announcements.
func (s *Server) marketingRoutes(v1 *gin.RouterGroup, r roleChecks) {}
