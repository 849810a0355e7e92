package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"shopflow/audit"
	"shopflow/errs"
	"shopflow/fraud"
	"shopflow/store"
)

// ErrTypeReviewConflict is the error type of a review decision recorded on an order that is
// not waiting for one: no retry changes that.
const ErrTypeReviewConflict = "FraudReviewConflict"

// ScreenInput names the order to screen, and how long its stock must stay held should it go
// to review: through the review, then the payment.
type ScreenInput struct {
	OrderID        string
	ReviewTimeout  time.Duration
	PaymentTimeout time.Duration
}

// ScreenResult is the screen's verdict.
type ScreenResult struct {
	// Decision is fraud.Allow, fraud.Review or fraud.Reject.
	Decision string
	Score    int
	// Rules names the rules that scored, for the saga's log.
	Rules []string `json:",omitempty"`
}

// ScreenOrder screens the order for fraud: reads what the screen needs of the order and its
// buyer's recent orders (one query), screens it, and records the verdict on the order. An
// order sent to review has its held stock extended past the review and the payment timeout,
// so the expiry sweep leaves it alone. With no screen every order is allowed, untouched.
func (a *Checkout) ScreenOrder(ctx context.Context, in ScreenInput) (ScreenResult, error) {
	if a.Fraud == nil {
		return ScreenResult{Decision: string(fraud.Allow)}, nil
	}
	lb := a.Fraud.Lookback()
	limit := 0
	if lb.Limit > 0 {
		limit = lb.Limit + 1
	}
	sig, err := a.Store.FraudSignalsOf(ctx, in.OrderID, lb.Window, limit)
	if err != nil {
		return ScreenResult{}, classify(err)
	}
	as, err := a.Fraud.Screen(ctx, fraud.Order{
		ID: in.OrderID, CustomerID: sig.CustomerID, TotalCents: sig.TotalCents, Currency: sig.Currency,
		PaymentMethod: sig.PaymentMethod, ClientIP: sig.ClientIP, ShippingCountry: sig.ShippingCountry, CreatedAt: sig.CreatedAt,
		History: fraud.History{CustomerOrders: sig.CustomerOrders, CardOrders: sig.CardOrders, IPOrders: sig.IPOrders,
			PlacedBefore: sig.PlacedBefore},
	})
	if err != nil {
		return ScreenResult{}, fmt.Errorf("screen order %s with %s: %w", in.OrderID, a.Fraud.Name(), err)
	}
	rec := store.FraudRecord{Screen: a.Fraud.Name(), Score: as.Score, Decision: string(as.Decision)}
	res := ScreenResult{Decision: string(as.Decision), Score: as.Score}
	for _, r := range as.Reasons {
		rec.Reasons = append(rec.Reasons, store.FraudReason{Rule: r.Rule, Points: r.Points, Detail: r.Detail})
		res.Rules = append(res.Rules, r.Rule)
	}
	if as.Decision == fraud.Review {
		rec.HoldUntil = a.now().Add(in.ReviewTimeout + in.PaymentTimeout + a.ReservationGrace)
	}
	if err := a.Store.RecordFraud(ctx, in.OrderID, rec); err != nil {
		return ScreenResult{}, classify(err)
	}
	return res, nil
}

// FraudReviewInput is an admin's decision on an order in review.
type FraudReviewInput struct {
	OrderID    string
	ReviewerID string
	Approve    bool
	Note       string
	// Actor is the deciding admin, for the audit trail.
	Actor audit.Actor
}

// FraudReviewResult is the decision as recorded: store.FraudApproved or store.FraudRejected.
type FraudReviewResult struct {
	Decision string
}

// RecordFraudReview records the admin's decision (who, when, the note) on the order.
func (a *Checkout) RecordFraudReview(ctx context.Context, in FraudReviewInput) (FraudReviewResult, error) {
	ctx = audit.WithActor(ctx, in.Actor)
	r, err := a.Store.ReviewFraud(ctx, in.OrderID, in.ReviewerID, in.Approve, in.Note)
	if errs.Is(err, errs.Conflict) {
		return FraudReviewResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeReviewConflict, err)
	}
	if err != nil {
		return FraudReviewResult{}, classify(err)
	}
	return FraudReviewResult{Decision: r.Decision}, nil
}
