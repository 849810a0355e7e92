package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"shopflow/audit"
	"shopflow/auth"
	"shopflow/errs"
	"shopflow/store"
	"shopflow/workflows"
)

// ReturnFlows is what the API needs of the return workflow (workflows.Returns in production).
type ReturnFlows interface {
	// Start starts the workflow of a return just recorded.
	Start(ctx context.Context, returnID string) error
	// Step tells the return's workflow of a step taken (starting it if it never started).
	Step(ctx context.Context, returnID string, ev workflows.ReturnEvent) error
}

// returnRoutes: customers' return requests and the seller's and admin's side of them. Each
// step is checked and recorded in the store with the request's context (so the audit trail
// names who took it), then signalled to the return's workflow, which notifies, times and refunds.
func (s *Server) returnRoutes(v1 *gin.RouterGroup, r roleChecks) {
	v1.POST("/orders/:id/returns", r.customer, s.idempotent, s.requestReturn)
	v1.GET("/returns", r.user, s.listReturns)
	v1.GET("/returns/:id", r.user, s.getReturn)
	v1.POST("/returns/:id/approve", r.sellerOrAdmin, s.approveReturn)
	v1.POST("/returns/:id/reject", r.sellerOrAdmin, s.rejectReturn)
	v1.POST("/returns/:id/ship", r.customer, s.shipReturn)
	v1.POST("/returns/:id/receive", r.sellerOrAdmin, s.receiveReturn)
	v1.POST("/returns/:id/cancel", r.customer, s.cancelReturn)
}

// returnRequest is the body of POST /orders/{id}/returns.
type returnRequest struct {
	Reason string              `json:"reason" binding:"max=2000"`
	Lines  []returnLineRequest `json:"lines" binding:"required,min=1,max=100,dive"`
}

type returnLineRequest struct {
	LineNo   int    `json:"line_no" binding:"required,min=1"`
	Quantity int    `json:"quantity" binding:"required,min=1,max=10000"`
	Reason   string `json:"reason" binding:"max=2000"`
}

// returnsCreated is the answer to a return request: one return per seller whose lines it names.
type returnsCreated struct {
	Returns []store.Return `json:"returns"`
}

// requestReturn records the customer's return of delivered lines of its order, one return per
// seller, and starts each return's workflow.
func (s *Server) requestReturn(c *gin.Context) {
	orderID, err := pathUUID(c, "id", "an order")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req returnRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	nr := store.NewReturn{OrderID: orderID, CustomerID: mustClaims(c).UserID(), Reason: strings.TrimSpace(req.Reason),
		Window: s.Config.ReturnWindow}
	for _, l := range req.Lines {
		nr.Lines = append(nr.Lines, store.NewReturnLine{LineNo: l.LineNo, Quantity: l.Quantity, Reason: strings.TrimSpace(l.Reason)})
	}
	returns, err := s.Store.RequestReturn(c, nr)
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, r := range returns {
		if err := s.Returns.Start(c.Request.Context(), r.ID); err != nil {
			// The return is recorded; its workflow starts with its next step (Step starts it).
			s.log(c).ErrorContext(c.Request.Context(), "return workflow did not start", "return_id", r.ID, "err", err)
		}
	}
	c.JSON(http.StatusCreated, returnsCreated{Returns: returns})
}

// listReturns pages through the returns the caller may see, newest first: a customer its own,
// a seller its store's, an admin all; ?status= and ?order_id= filter.
func (s *Server) listReturns(c *gin.Context) {
	q, p, err := listQuery(c, "status", "order_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	f := store.ReturnFilter{Limit: p.Limit, Cursor: p.Cursor}
	if v, ok := q["status"]; ok {
		if !store.ValidReturnStatus(v) {
			s.fail(c, badParam("status", "must be one of requested, approved, rejected, shipped, received, refunded, expired, canceled, got %q", v))
			return
		}
		f.Status = v
	}
	if v, ok := q["order_id"]; ok {
		id, err := uuid.Parse(v)
		if err != nil {
			s.fail(c, badParam("order_id", "must be a UUID, got %q", v))
			return
		}
		f.OrderID = id.String()
	}
	party, err := returnParty(mustClaims(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	f.CustomerID, f.SellerID = party.CustomerID, party.SellerID
	page, err := s.Store.ListReturns(c, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(page.Items, page.NextCursor))
}

// getReturn returns one return to its customer, its seller or an admin; anyone else gets 404.
func (s *Server) getReturn(c *gin.Context) {
	id, err := pathUUID(c, "id", "a return")
	if err != nil {
		s.fail(c, err)
		return
	}
	party, err := returnParty(mustClaims(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.Store.ReturnByID(c, id)
	if err == nil && !party.MayAct(r) {
		err = errs.E(errs.NotFound, "return not found")
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

// returnParty is the caller as a party to returns: a customer, a seller (its store), an admin.
func returnParty(claims auth.Claims) (store.ReturnParty, error) {
	switch claims.Role {
	case store.RoleAdmin:
		return store.ReturnParty{}, nil
	case store.RoleCustomer:
		return store.ReturnParty{CustomerID: claims.UserID()}, nil
	case store.RoleSeller:
		if claims.SellerID == "" {
			return store.ReturnParty{}, errNoStore()
		}
		return store.ReturnParty{SellerID: claims.SellerID}, nil
	}
	return store.ReturnParty{}, errs.E(errs.Forbidden, "role %q has no returns", claims.Role)
}

// actorOf is who the request acts for, for the workflow's audited writes: the audit middleware's
// actor when it set one, else the account the token names.
func actorOf(c *gin.Context) audit.Actor {
	if a, ok := audit.ActorFrom(c.Request.Context()); ok {
		return a
	}
	claims := mustClaims(c)
	return audit.Actor{AccountID: claims.UserID(), Role: claims.Role, SellerID: claims.SellerID, RequestID: requestID(c)}
}
