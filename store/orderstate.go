package store

import (
	"slices"

	"shopflow/errs"
)

// Order statuses. An order moves pending -> awaiting_payment -> placed -> shipped -> delivered;
// any status before placed may become canceled (with a reason), and placed may become refunded.
const (
	OrderPending         = "pending"
	OrderAwaitingPayment = "awaiting_payment"
	OrderPlaced          = "placed"
	OrderShipped         = "shipped"
	OrderDelivered       = "delivered"
	OrderCanceled        = "canceled"
	OrderRefunded        = "refunded"
)

// Cancel reasons recorded on canceled orders.
const (
	ReasonOutOfStock        = "out_of_stock"
	ReasonPaymentDeclined   = "payment_declined"
	ReasonPaymentTimeout    = "payment_timeout"
	ReasonPaymentError      = "payment_error"
	ReasonCanceledByUser    = "canceled_by_customer"
	ReasonCanceledByAdmin   = "canceled_by_admin"
	ReasonCanceledByOps     = "canceled_by_operator"
	ReasonReservationExpiry = "reservation_expired"
	ReasonSystemError       = "system_error"
)

// orderTransitions is the one table of legal order status changes.
var orderTransitions = map[string][]string{
	OrderPending:         {OrderAwaitingPayment, OrderPlaced, OrderCanceled},
	OrderAwaitingPayment: {OrderPlaced, OrderCanceled},
	OrderPlaced:          {OrderShipped, OrderRefunded},
	OrderShipped:         {OrderDelivered},
	OrderDelivered:       {},
	OrderCanceled:        {},
	OrderRefunded:        {},
}

// CanTransition reports whether an order may move from one status to another.
func CanTransition(from, to string) bool {
	return slices.Contains(orderTransitions[from], to)
}

// CheckTransition is CanTransition as an error: an illegal move is a conflict (409).
func CheckTransition(from, to string) error {
	if CanTransition(from, to) {
		return nil
	}
	return errs.E(errs.Conflict, "an order that is %s cannot become %s", from, to).
		WithDetails("status", from).WithDetails("requested", to)
}

// Cancelable reports whether an order in status can still be canceled (it is not yet placed).
func Cancelable(status string) bool { return CanTransition(status, OrderCanceled) }
