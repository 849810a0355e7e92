package api

import "github.com/gin-gonic/gin"

func (s *Server) analyticsRoutes(v1 *gin.RouterGroup, r roleChecks) {}
