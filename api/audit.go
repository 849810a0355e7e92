package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"shopflow/audit"
	"shopflow/store"
)

// auditRoutes: the audit trail (docs/AFTERSALE.md). Admins read every record; a seller reads
// the records of its own store's resources, whoever made the change.
func (s *Server) auditRoutes(v1 *gin.RouterGroup, r roleChecks) {
	v1.GET("/admin/audit", r.admin, s.listAudit)
	v1.GET("/sellers/me/audit", r.seller, s.listMyAudit)
}

// auditFilters are the query parameters both audit lists take; the admin's also takes actor
// and api_key.
var auditFilters = []string{"resource_type", "resource_id", "action", "from", "to"}

// listAudit serves GET /admin/audit: audit records, newest first, filtered.
func (s *Server) listAudit(c *gin.Context) {
	q, p, err := listQuery(c, append([]string{"actor", "api_key"}, auditFilters...)...)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.serveAudit(c, q, p, "")
}

// listMyAudit serves GET /sellers/me/audit: the records of the calling seller's store.
func (s *Server) listMyAudit(c *gin.Context) {
	sellerID, ok := s.callerSeller(c)
	if !ok {
		return
	}
	q, p, err := listQuery(c, auditFilters...)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.serveAudit(c, q, p, sellerID)
}

func (s *Server) serveAudit(c *gin.Context, q map[string]string, p page, sellerID string) {
	f := store.AuditFilter{ActorID: q["actor"], APIKeyID: q["api_key"], ResourceType: q["resource_type"],
		ResourceID: q["resource_id"], Action: q["action"], SellerID: sellerID, Limit: p.Limit, Cursor: p.Cursor}
	for name, v := range q {
		if len(v) > maxAuditFilterLen {
			s.fail(c, badParam(name, "must be at most %d characters", maxAuditFilterLen))
			return
		}
	}
	var err error
	if f.From, err = auditTime(q, "from"); err != nil {
		s.fail(c, err)
		return
	}
	if f.To, err = auditTime(q, "to"); err != nil {
		s.fail(c, err)
		return
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		s.fail(c, badParam("from", "must be before to"))
		return
	}
	page, err := s.Store.ListAudit(c, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(page.Items, page.NextCursor))
}

// maxAuditFilterLen bounds a filter value: ids, resource types and actions are short.
const maxAuditFilterLen = 200

// auditTime parses an optional RFC 3339 time parameter.
func auditTime(q map[string]string, name string) (time.Time, error) {
	raw, ok := q[name]
	if !ok {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, badParam(name, "must be an RFC 3339 time, got %q", raw)
	}
	return t.UTC(), nil
}

// requestActor is the audit actor of the request (zero for a customer or an anonymous caller):
// for handlers that hand work to a workflow, whose activities must act for the same person
// (put it in the activity's input and call audit.WithActor there).
func requestActor(c *gin.Context) audit.Actor {
	a, _ := audit.ActorFrom(c.Request.Context())
	return a
}
