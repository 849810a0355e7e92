package api

import "github.com/gin-gonic/gin"

func (s *Server) reviewRoutes(v1 *gin.RouterGroup, r roleChecks) {}
