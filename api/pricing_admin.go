package api

import "github.com/gin-gonic/gin"

// pricingRoutes: shipping zones and methods, tax rates, promotions (admin CRUD).
func (s *Server) pricingRoutes(v1 *gin.RouterGroup, r roleChecks) {}
