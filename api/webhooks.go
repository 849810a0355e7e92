package api

import (
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"shopflow/errs"
	"shopflow/payment"
	"shopflow/store"
	"shopflow/workflows"
)

// webhookAck is what Stripe gets for every event it need not send again.
type webhookAck struct {
	Received bool `json:"received"`
}

// stripeWebhook takes Stripe's payment notifications to the order's saga. Only the signature
// authenticates the caller, over the raw body exactly as sent. Stripe retries anything but a
// 2xx for days, so events that are genuine but not for us (ignored types, unknown orders, sagas
// that already ended) are acknowledged; only a failure to pass the result on is a 5xx.
func (s *Server) stripeWebhook(c *gin.Context) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		s.fail(c, bodyReadError(err))
		return
	}
	ev, err := payment.ParseStripeWebhook(body, c.GetHeader("Stripe-Signature"), s.Config.StripeWebhookSecret)
	switch {
	case errors.Is(err, payment.ErrIgnoredEvent):
		c.JSON(http.StatusOK, webhookAck{Received: true})
		return
	case errors.Is(err, payment.ErrBadSignature):
		s.fail(c, errs.Wrap(err, errs.Invalid, "the Stripe-Signature header does not prove this payload comes from Stripe"))
		return
	case err != nil:
		// Signed by Stripe but not understood: our bug (or an API change), so answer 500 and
		// let Stripe retry while someone reads the log.
		s.fail(c, err)
		return
	}
	log := s.log(c).With("event_id", ev.ID, "intent_id", ev.IntentID, "payment_status", ev.Status)
	if !finalPaymentStatus(ev.Status) {
		// requires_action and processing are steps, not outcomes: the saga waits for the outcome.
		c.JSON(http.StatusOK, webhookAck{Received: true})
		return
	}
	ref, err := s.orderOfPayment(c, ev.OrderID, ev.IntentID)
	if errs.Is(err, errs.NotFound) {
		log.WarnContext(c.Request.Context(), "stripe webhook for a payment of no known order; acknowledged", "order_id", ev.OrderID)
		c.JSON(http.StatusOK, webhookAck{Received: true})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.signalPayment(c, ref.ID, ev.IntentID, ev.Status); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, webhookAck{Received: true})
}

// orderOfPayment finds the order a payment is for: by the order id the intent carries in its
// metadata, else by the intent recorded on the order.
func (s *Server) orderOfPayment(c *gin.Context, orderID, intentID string) (store.OrderRef, error) {
	if id, err := uuid.Parse(orderID); err == nil {
		ref, err := s.Store.OrderRefByID(c, id.String())
		if !errs.Is(err, errs.NotFound) {
			return ref, err
		}
	}
	return s.Store.OrderRefByPaymentIntent(c, intentID)
}

// signalPayment tells the order's saga how its payment ended. A saga that is no longer running
// needs no telling: it settled the order already and voided its payment on the way out; and if
// an operator terminated it, the reservation sweep voids (or refunds) the payment when it
// releases the order's stock.
func (s *Server) signalPayment(c *gin.Context, orderID, intentID string, status payment.Status) error {
	err := s.Checkouts.PaymentResult(c, orderID, workflows.PaymentResult{IntentID: intentID, Status: string(status)})
	if errors.Is(err, workflows.ErrNoSaga) {
		s.log(c).InfoContext(c.Request.Context(), "payment result for an order whose saga has ended",
			"order_id", orderID, "intent_id", intentID, "payment_status", status)
		return nil
	}
	if err != nil {
		return errs.Wrap(err, errs.Unavailable, "could not pass the payment result to the order's checkout; retry")
	}
	return nil
}

// finalPaymentStatus reports whether a payment in status has ended one way or the other.
func finalPaymentStatus(status payment.Status) bool {
	switch status {
	case payment.StatusSucceeded, payment.StatusFailed, payment.StatusCanceled:
		return true
	}
	return false
}
