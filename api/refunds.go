package api

import "github.com/gin-gonic/gin"

// RefundFlows is what the API needs of refunds and cancellations of placed orders
// (workflows.Refunds in production).
type RefundFlows interface{}

// refundRoutes: refunds, cancellations of placed orders, and the stock ledger. (Scaffold.)
func (s *Server) refundRoutes(v1 *gin.RouterGroup, r roleChecks) {}
