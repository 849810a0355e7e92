package api

import "github.com/gin-gonic/gin"

// auditRoutes: the audit trail. (Scaffold.)
func (s *Server) auditRoutes(v1 *gin.RouterGroup, r roleChecks) {}
