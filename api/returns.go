package api

import "github.com/gin-gonic/gin"

// ReturnFlows is what the API needs of the return workflow (workflows.Returns in production).
type ReturnFlows interface{}

// returnRoutes: customers' return requests and the seller's and admin's side of them. (Scaffold.)
func (s *Server) returnRoutes(v1 *gin.RouterGroup, r roleChecks) {}
