package api

import "github.com/gin-gonic/gin"

// FraudReviews is what the API needs to decide orders waiting for a fraud review.
type FraudReviews interface{}

// fraudRoutes: orders waiting for a fraud review, and the admin's decision.
func (s *Server) fraudRoutes(v1 *gin.RouterGroup, r roleChecks) {}
