package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"shopflow/audit"
	"shopflow/errs"
	"shopflow/store"
)

// RefundFlows is what the API needs of refunds and cancellations of placed orders
// (workflows.Refunds in production).
type RefundFlows interface {
	// CancelPlaced starts the workflow of a cancellation just recorded.
	CancelPlaced(ctx context.Context, cancellationID string, actor audit.Actor) error
	// RetryRefund asks the workflow owning a failed refund to issue it again.
	RetryRefund(ctx context.Context, refund store.Refund, actor audit.Actor) error
}

// refundRoutes: refunds and cancellations of placed orders.
func (s *Server) refundRoutes(v1 *gin.RouterGroup, r roleChecks) {
	v1.POST("/orders/:id/cancellations", r.sellerOrAdmin, s.idempotent, s.cancelPlaced)
	v1.GET("/orders/:id/refunds", r.anyone, s.orderRefunds)
	v1.GET("/admin/refunds", r.admin, s.listRefunds)
	v1.POST("/admin/refunds/:id/retry", r.admin, s.retryRefund)
}

// cancellationRequest is the body of POST /orders/{id}/cancellations: the lines (and units) to
// cancel, or all of them.
type cancellationRequest struct {
	All    bool                      `json:"all"`
	Lines  []cancellationLineRequest `json:"lines" binding:"max=100,dive"`
	Reason string                    `json:"reason" binding:"max=2000"`
}

type cancellationLineRequest struct {
	LineNo   int `json:"line_no" binding:"required,min=1"`
	Quantity int `json:"quantity" binding:"required,min=1,max=10000"`
}

// cancelPlaced records the cancellation of placed lines that have not shipped (an admin any
// line, a seller its own) and starts its workflow, which refunds, restocks and notifies: 202.
func (s *Server) cancelPlaced(c *gin.Context) {
	orderID, err := pathUUID(c, "id", "an order")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req cancellationRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.All == (len(req.Lines) > 0) {
		s.fail(c, errs.E(errs.Invalid, "send either lines or all: true, not both or neither"))
		return
	}
	claims := mustClaims(c)
	nc := store.NewCancellation{OrderID: orderID, RequestedBy: claims.UserID(), Reason: strings.TrimSpace(req.Reason), All: req.All}
	if claims.Role == store.RoleSeller {
		if claims.SellerID == "" {
			s.fail(c, errNoStore())
			return
		}
		nc.SellerID = claims.SellerID
	}
	for _, l := range req.Lines {
		nc.Lines = append(nc.Lines, store.CancelLine{LineNo: l.LineNo, Quantity: l.Quantity})
	}
	cancellation, err := s.Store.CreateCancellation(c, nc)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Refunds.CancelPlaced(c.Request.Context(), cancellation.ID, actorOf(c)); err != nil {
		// Recorded, lines out of fulfilment: an operator restarts cancel-<id> (the log says which).
		s.log(c).ErrorContext(c.Request.Context(), "cancellation workflow did not start", "cancellation_id", cancellation.ID, "err", err)
	}
	c.JSON(http.StatusAccepted, cancellation)
}

// orderRefunds lists an order's refunds to its customer and admins; a seller sees the refunds
// of its own lines, with only those lines and their money.
func (s *Server) orderRefunds(c *gin.Context) {
	o, ok := s.visibleOrder(c)
	if !ok {
		return
	}
	refunds, err := s.Store.OrderRefunds(c, o.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if claims := mustClaims(c); claims.Role == store.RoleSeller {
		refunds = sellerRefunds(refunds, claims.SellerID)
	}
	c.JSON(http.StatusOK, listOf(refunds, nil))
}

// sellerRefunds keeps the refunds' lines of one seller, and the refunds that have any.
func sellerRefunds(refunds []store.Refund, sellerID string) []store.Refund {
	var out []store.Refund
	for _, r := range refunds {
		var lines []store.RefundLine
		var amount int64
		for _, l := range r.Lines {
			if l.SellerID == sellerID {
				lines, amount = append(lines, l), amount+l.AmountCents
			}
		}
		if len(lines) > 0 {
			r.Lines, r.AmountCents, r.ProviderRef = lines, amount, ""
			out = append(out, r)
		}
	}
	return out
}

// listRefunds pages through refunds for admins, oldest first; ?status=failed lists those
// waiting for a retry.
func (s *Server) listRefunds(c *gin.Context) {
	q, p, err := listQuery(c, "status")
	if err != nil {
		s.fail(c, err)
		return
	}
	f := store.RefundFilter{Limit: p.Limit, Cursor: p.Cursor}
	if v, ok := q["status"]; ok {
		if v != store.RefundPending && v != store.RefundSucceeded && v != store.RefundFailed {
			s.fail(c, badParam("status", "must be one of pending, succeeded, failed, got %q", v))
			return
		}
		f.Status = v
	}
	page, err := s.Store.ListRefunds(c, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(page.Items, page.NextCursor))
}

// retryRefund asks the workflow owning a failed refund to issue it again: 202 with the refund
// as it stands (its status changes when the provider answers).
func (s *Server) retryRefund(c *gin.Context) {
	id, err := pathUUID(c, "id", "a refund")
	if err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.Store.RefundByID(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if r.Status != store.RefundFailed {
		s.fail(c, errs.E(errs.Conflict, "only a failed refund can be retried; this one is %s", r.Status).WithDetails("status", r.Status))
		return
	}
	if err := s.Refunds.RetryRefund(c.Request.Context(), r, actorOf(c)); err != nil {
		s.fail(c, errs.Wrap(err, errs.Unavailable, "could not reach the refund's workflow; try again shortly"))
		return
	}
	c.JSON(http.StatusAccepted, r)
}
