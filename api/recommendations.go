package api

import "github.com/gin-gonic/gin"

func (s *Server) recommendationRoutes(v1 *gin.RouterGroup, r roleChecks) {}
