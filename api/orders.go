package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"shopflow/auth"
	"shopflow/errs"
	"shopflow/store"
	"shopflow/workflows"
)

// listOrders pages through the orders the caller may see, newest first: a customer its own, a
// seller those holding at least one of its lines (showing only those lines), an admin all of
// them, optionally of one customer.
func (s *Server) listOrders(c *gin.Context) {
	claims := mustClaims(c)
	f, err := orderFilterOf(c, claims)
	if err != nil {
		s.fail(c, err)
		return
	}
	orders, err := s.Store.ListOrders(c, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	if f.SellerID != "" {
		for i, o := range orders.Items {
			orders.Items[i] = o.ForSeller(f.SellerID)
		}
	}
	c.JSON(http.StatusOK, listOf(orders.Items, orders.NextCursor))
}

// orderFilterOf reads the list's query parameters and scopes the list to the caller. Any
// unknown, repeated or malformed parameter is a 400 naming it; customer_id is for admins only.
func orderFilterOf(c *gin.Context, claims auth.Claims) (store.OrderFilter, error) {
	q, p, err := listQuery(c, "status", "customer_id")
	if err != nil {
		return store.OrderFilter{}, err
	}
	f := store.OrderFilter{Limit: p.Limit, Cursor: p.Cursor}
	if v, ok := q["status"]; ok {
		if !store.ValidOrderStatus(v) {
			return f, badParam("status", "must be one of pending, awaiting_payment, placed, shipped, delivered, canceled, partially_refunded, refunded, got %q", v)
		}
		f.Status = v
	}
	if v, ok := q["customer_id"]; ok {
		id, err := uuid.Parse(v)
		if err != nil {
			return f, badParam("customer_id", "must be a UUID, got %q", v)
		}
		f.CustomerID = id.String()
	}
	switch claims.Role {
	case store.RoleAdmin:
	case store.RoleCustomer:
		if f.CustomerID != "" {
			return f, errs.E(errs.Forbidden, "the customer_id filter is for admins; customers always see their own orders")
		}
		f.CustomerID = claims.UserID()
	case store.RoleSeller:
		if f.CustomerID != "" {
			return f, errs.E(errs.Forbidden, "the customer_id filter is for admins; sellers see the orders holding their lines")
		}
		if claims.SellerID == "" {
			return f, errNoStore()
		}
		f.SellerID = claims.SellerID
	default:
		return f, errs.E(errs.Forbidden, "role %q cannot list orders", claims.Role)
	}
	return f, nil
}

// getOrder returns one order as the caller may see it. An order the caller has no part in is
// a 404, exactly like one that does not exist.
func (s *Server) getOrder(c *gin.Context) {
	o, ok := s.visibleOrder(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, o)
}

// cancelOrder cancels an order that is not placed yet. The running saga does it (202: the
// order is canceled once the saga has released its stock and voided its payment); an order
// whose saga never started is canceled here and now (200).
func (s *Server) cancelOrder(c *gin.Context) {
	o, ok := s.visibleOrder(c)
	if !ok {
		return
	}
	if !store.Cancelable(o.Status) {
		s.fail(c, store.CheckTransition(o.Status, store.OrderCanceled))
		return
	}
	reason := store.ReasonCanceledByUser
	if mustClaims(c).Role == store.RoleAdmin {
		reason = store.ReasonCanceledByAdmin
	}
	// The saga answers once the cancel is settled; a minute is plenty, and asking again after
	// a timeout gets the same cancel's answer.
	ctx, cancel := context.WithTimeout(c.Request.Context(), time.Minute)
	defer cancel()
	out, err := s.Checkouts.CancelOrder(ctx, o.ID, reason)
	switch {
	case err == nil && out.Canceled:
		// The saga canceled the order without the admin in its transaction: the trail says who.
		if err := s.Store.RecordActorAudit(c.Request.Context(), store.AuditRecord{Action: "order.cancel", ResourceType: "order",
			ResourceID: o.ID, Before: map[string]string{"status": o.Status},
			After: map[string]string{"status": store.OrderCanceled, "cancel_reason": reason}}); err != nil {
			s.Logger.ErrorContext(c, "audit record of a cancel not written", "order", o.ID, "err", err)
		}
		s.respondOrder(c, http.StatusOK, o.ID)
	case err == nil || errors.Is(err, workflows.ErrCancelTooLate):
		// The order was placed first: the caller is told so, never promised a cancel.
		s.fail(c, store.CheckTransition(store.OrderPlaced, store.OrderCanceled))
	case errors.Is(err, workflows.ErrNoSaga):
		s.cancelWithoutSaga(c, o.ID, reason)
	default:
		s.fail(c, errs.Wrap(err, errs.Unavailable, "could not reach the order's checkout; try again shortly"))
	}
}

// cancelWithoutSaga cancels an order whose saga is not running: it never started (Temporal was
// down at checkout), or it has just ended, and the order's row says how.
func (s *Server) cancelWithoutSaga(c *gin.Context, orderID, reason string) {
	ref, err := s.Store.OrderRefByID(c, orderID)
	if err != nil {
		s.fail(c, err)
		return
	}
	switch {
	case ref.Status == store.OrderCanceled:
		// Settled as a cancel while this request was being answered (the saga ended first).
		s.respondOrder(c, http.StatusOK, orderID)
	case ref.Status == store.OrderPending:
		res, err := s.Store.ReleaseOrder(c, orderID, reason)
		if err != nil {
			s.fail(c, err)
			return
		}
		if !res.Canceled {
			s.fail(c, store.CheckTransition(res.Status, store.OrderCanceled))
			return
		}
		s.respondOrder(c, http.StatusOK, orderID)
	case store.Cancelable(ref.Status):
		// Awaiting payment with no saga: stock is held and a payment may be open, which only
		// the saga can settle safely. Canceling here could leave a later payment unrefunded.
		s.log(c).ErrorContext(c.Request.Context(), "order awaits payment but its checkout saga is not running",
			"order_id", orderID, "status", ref.Status)
		s.fail(c, errs.E(errs.Unavailable, "the order's checkout is not running; try again later"))
	default:
		s.fail(c, store.CheckTransition(ref.Status, store.OrderCanceled))
	}
}

// shipOrder marks lines shipped: an admin ships every line, a seller its own.
func (s *Server) shipOrder(c *gin.Context) { s.fulfil(c, s.Store.ShipOrder) }

// deliverOrder marks shipped lines delivered: an admin every line, a seller its own.
func (s *Server) deliverOrder(c *gin.Context) { s.fulfil(c, s.Store.DeliverOrder) }

// fulfil runs a fulfilment step for the caller: a seller moves only its own lines (and an order
// without any is a 404); an admin moves them all.
func (s *Server) fulfil(c *gin.Context, step func(ctx context.Context, orderID, sellerID string) (store.Order, error)) {
	claims := mustClaims(c)
	id, err := pathUUID(c, "id", "an order")
	if err != nil {
		s.fail(c, err)
		return
	}
	sellerID := ""
	if claims.Role == store.RoleSeller {
		if claims.SellerID == "" {
			s.fail(c, errNoStore())
			return
		}
		sellerID = claims.SellerID
	}
	o, err := step(c, id, sellerID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if sellerID != "" {
		o = o.ForSeller(sellerID)
	}
	c.JSON(http.StatusOK, o)
}

// visibleOrder loads the order named by the path as the caller may see it, or fails with 400
// for a malformed id and 404 when it does not exist or the caller has no part in it.
func (s *Server) visibleOrder(c *gin.Context) (store.Order, bool) {
	id, err := pathUUID(c, "id", "an order")
	if err != nil {
		s.fail(c, err)
		return store.Order{}, false
	}
	o, err := s.Store.OrderByID(c, id)
	if err != nil {
		s.fail(c, err)
		return store.Order{}, false
	}
	v, ok := orderViewFor(mustClaims(c), o)
	if !ok {
		s.fail(c, errs.E(errs.NotFound, "order not found"))
		return store.Order{}, false
	}
	return v, true
}

// respondOrder answers with the order as it is now, as the caller may see it.
func (s *Server) respondOrder(c *gin.Context, status int, id string) {
	o, err := s.Store.OrderByID(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	v, _ := orderViewFor(mustClaims(c), o)
	c.JSON(status, v)
}

// orderViewFor is the order as the caller may see it: whole for an admin and its customer, a
// seller's own lines for a seller with lines in it; false for anyone else.
func orderViewFor(claims auth.Claims, o store.Order) (store.Order, bool) {
	switch claims.Role {
	case store.RoleAdmin:
		return o, true
	case store.RoleCustomer:
		return o, o.CustomerID == claims.UserID()
	case store.RoleSeller:
		if !o.HasSeller(claims.SellerID) {
			return store.Order{}, false
		}
		return o.ForSeller(claims.SellerID), true
	}
	return store.Order{}, false
}
