package api

import (
	"errors"
	"net/http"
	"regexp"

	"github.com/gin-gonic/gin"

	"shopflow/errs"
	"shopflow/payment"
	"shopflow/store"
)

// validIntentID is the shape of payment intent ids (Stripe's and the sandbox's).
var validIntentID = regexp.MustCompile(`^[A-Za-z0-9_]{1,255}$`)

type completePaymentRequest struct {
	// Succeed passes (true) or fails (false) the payment's authentication, as the shopper would.
	Succeed *bool `json:"succeed" binding:"required"`
}

type completePaymentResponse struct {
	IntentID string         `json:"intent_id"`
	Status   payment.Status `json:"status"`
}

// completeSandboxPayment plays the shopper finishing 3-D Secure on a sandbox payment that needs
// action, then tells the order's saga, as Stripe's webhook would. Development only: the route
// exists only when the sandbox provider and dev endpoints are on. Only the order's customer, or
// an admin, may complete its payment.
func (s *Server) completeSandboxPayment(c *gin.Context) {
	// The route has no role middleware (it is registered conditionally), so check here.
	claims, ok := claimsOf(c)
	if !ok {
		c.Header("WWW-Authenticate", `Bearer realm="shopflow"`)
		s.fail(c, errs.E(errs.Unauthorized, "authentication required"))
		return
	}
	if claims.Role != store.RoleCustomer && claims.Role != store.RoleAdmin {
		s.fail(c, errs.E(errs.Forbidden, "this needs one of the roles: customer, admin"))
		return
	}
	intentID := c.Param("intent_id")
	if !validIntentID.MatchString(intentID) {
		s.fail(c, badParam("intent_id", "must be a payment intent id, got %q", intentID))
		return
	}
	var req completePaymentRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	ref, err := s.Store.OrderRefByPaymentIntent(c, intentID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if claims.Role == store.RoleCustomer && ref.CustomerID != claims.UserID() {
		s.fail(c, errs.E(errs.NotFound, "payment intent not found"))
		return
	}
	intent, err := s.Sandbox.Complete(c, intentID, *req.Succeed)
	switch {
	case errors.Is(err, payment.ErrNotFound):
		s.fail(c, errs.Wrap(err, errs.NotFound, "payment intent not found"))
		return
	case errors.Is(err, payment.ErrInvalidRequest):
		s.fail(c, errs.Wrap(err, errs.Conflict, "the payment is not waiting for action").WithDetails("intent_id", intentID))
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	// Completing again to the same outcome is a no-op, so a retry after a failed signal is safe.
	if err := s.signalPayment(c, ref.ID, intent.ID, intent.Status); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, completePaymentResponse{IntentID: intent.ID, Status: intent.Status})
}
