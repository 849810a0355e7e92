package api

import "github.com/gin-gonic/gin"

// DataRightsFlows is what the API needs of the export and erasure workflows
// (workflows.DataRights in production).
type DataRightsFlows interface{}

// dataRightsRoutes: a customer's data export and erasure. (Scaffold.)
func (s *Server) dataRightsRoutes(v1 *gin.RouterGroup, r roleChecks) {}
