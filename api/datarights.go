package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"shopflow/audit"
	"shopflow/errs"
	"shopflow/report"
	"shopflow/store"
)

// DataRightsFlows is what the API needs of the export and erasure workflows
// (workflows.DataRights in production).
type DataRightsFlows interface {
	// StartExport starts building the recorded export (workflow export-<id>).
	StartExport(ctx context.Context, exportID string) error
	// StartErasure starts (or finds) the erasure of the customer (workflow erase-<user id>).
	StartErasure(ctx context.Context, userID string, actor audit.Actor) error
}

// dataRightsRoutes: a customer's data export and erasure, and an admin's erasure of a customer.
func (s *Server) dataRightsRoutes(v1 *gin.RouterGroup, r roleChecks) {
	v1.POST("/users/me/export", r.user, s.idempotent, s.startExport)
	v1.GET("/users/me/exports/:id", r.user, s.getExport)
	// No role: the link in the notice is the credential, for as long as it lives.
	v1.GET("/users/me/exports/:id/download", s.downloadExport)
	v1.DELETE("/users/me", r.user, s.eraseMe)
	v1.POST("/admin/users/:id/erase", r.admin, s.eraseUser)
	v1.GET("/admin/users/:id/erasure", r.admin, s.getErasure)
}

// exportView is an export as its owner sees it.
type exportView struct {
	store.DataExport
	StatusURL string `json:"status_url"`
}

func exportURL(id string) string { return "/api/v1/users/me/exports/" + id }

// startExport serves POST /users/me/export: the export is recorded and its workflow started;
// the customer watches the status URL and receives the download link by notice.
func (s *Server) startExport(c *gin.Context) {
	if s.DataRights == nil {
		s.fail(c, errs.E(errs.Unavailable, "data exports are not available"))
		return
	}
	exp, err := s.Store.CreateDataExport(c, mustClaims(c).UserID())
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.DataRights.StartExport(c, exp.ID); err != nil {
		_ = s.Store.FailDataExport(context.WithoutCancel(c), exp.ID, "the export could not be started; ask again")
		s.fail(c, errs.Wrap(err, errs.Unavailable, "the export could not be started; try again shortly"))
		return
	}
	c.Header("Location", exportURL(exp.ID))
	c.JSON(http.StatusAccepted, exportView{DataExport: exp, StatusURL: exportURL(exp.ID)})
}

// getExport serves GET /users/me/exports/{id}: status and progress; another user's is not found.
func (s *Server) getExport(c *gin.Context) {
	id, err := pathUUID(c, "id", "an export")
	if err != nil {
		s.fail(c, err)
		return
	}
	exp, err := s.Store.DataExportOf(c, mustClaims(c).UserID(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, exportView{DataExport: exp, StatusURL: exportURL(exp.ID)})
}

// downloadExport serves GET /users/me/exports/{id}/download?token=...: the archive, to whoever
// holds the link until it expires (410 after, 404 for a wrong token).
func (s *Server) downloadExport(c *gin.Context) {
	id, err := pathUUID(c, "id", "an export")
	if err != nil {
		s.fail(c, err)
		return
	}
	exp, err := s.Store.DownloadableExport(c, id, c.Query("token"), time.Now())
	if errors.Is(err, store.ErrExportExpired) {
		c.AbortWithStatusJSON(http.StatusGone, ErrorBody{Error: ErrorDetail{Code: "gone",
			Message: "the download link has expired; ask for a new export"}})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if s.ReportFiles == nil {
		s.fail(c, errs.E(errs.Unavailable, "export storage is not available"))
		return
	}
	f, err := s.ReportFiles.Open(c, exp.StorageKey)
	if errors.Is(err, report.ErrNotFound) {
		s.fail(c, errs.E(errs.NotFound, "export not found"))
		return
	}
	if err != nil {
		s.fail(c, fmt.Errorf("open export %s: %w", exp.ID, err))
		return
	}
	defer f.Close()
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `attachment; filename="shopflow-export-`+exp.ID+`.zip"`)
	c.Status(http.StatusOK)
	c.Header("Content-Type", "application/zip")
	if _, err := io.Copy(c.Writer, f); err != nil {
		s.log(c).WarnContext(c.Request.Context(), "export download interrupted", "export_id", exp.ID, "err", err)
	}
}

// eraseRequest is the body of DELETE /users/me: the password proves the account holder asks.
type eraseRequest struct {
	CurrentPassword string `json:"current_password" binding:"required,max=72"`
}

// eraseMe serves DELETE /users/me: the caller's own erasure, given the current password.
func (s *Server) eraseMe(c *gin.Context) {
	var req eraseRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	u, ok := s.currentPasswordChecked(c, req.CurrentPassword)
	if !ok {
		return
	}
	// The customer's own IP and user agent would outlive them in the audit record: only the
	// account id (about to be anonymous) and the request are named.
	s.startErasure(c, u.ID, audit.Actor{AccountID: u.ID, Role: u.Role, RequestID: requestID(c)})
}

// eraseUser serves POST /admin/users/{id}/erase.
func (s *Server) eraseUser(c *gin.Context) {
	id, err := pathUUID(c, "id", "a user")
	if err != nil {
		s.fail(c, err)
		return
	}
	actor, ok := audit.ActorFrom(c.Request.Context())
	if !ok {
		actor = audit.Actor{AccountID: mustClaims(c).UserID(), Role: store.RoleAdmin, RequestID: requestID(c)}
	}
	s.startErasure(c, id, actor)
}

// startErasure records the erasure (or finds it) and starts its workflow unless it is done;
// the answer is the erasure's progress.
func (s *Server) startErasure(c *gin.Context, userID string, actor audit.Actor) {
	if s.DataRights == nil {
		s.fail(c, errs.E(errs.Unavailable, "erasure is not available"))
		return
	}
	e, err := s.Store.StartErasure(c, userID, actor.AccountID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if e.Status != store.ErasureDone {
		if err := s.DataRights.StartErasure(c, userID, actor); err != nil {
			s.fail(c, errs.Wrap(err, errs.Unavailable, "the erasure is recorded but could not be started; ask again shortly"))
			return
		}
	}
	s.principals.forgetUser(userID)
	c.JSON(http.StatusAccepted, e)
}

// getErasure serves GET /admin/users/{id}/erasure: the steps done and their counts.
func (s *Server) getErasure(c *gin.Context) {
	id, err := pathUUID(c, "id", "a user")
	if err != nil {
		s.fail(c, err)
		return
	}
	e, err := s.Store.ErasureOf(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, e)
}
