package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"shopflow/errs"
	"shopflow/store"
	"shopflow/workflows"
)

// FraudReviews is what the API needs to decide orders waiting for a fraud review.
type FraudReviews interface {
	// ReviewOrder hands an admin's decision to the order's saga and waits until it has acted
	// on it (workflows.ErrNotInReview when it is not waiting for one, workflows.ErrNoSaga when
	// no saga runs).
	ReviewOrder(ctx context.Context, orderID string, d workflows.FraudDecision) (workflows.ReviewOutcome, error)
}

// fraudRoutes: orders waiting for a fraud review, and the admin's decision.
func (s *Server) fraudRoutes(v1 *gin.RouterGroup, r roleChecks) {
	v1.GET("/admin/fraud/reviews", r.admin, s.listFraudReviews)
	v1.POST("/admin/orders/:id/fraud-review", r.admin, s.reviewOrder)
}

// listFraudReviews lists the orders waiting for an admin's fraud review, oldest first (they
// time out first), with their score and the rules that made it.
func (s *Server) listFraudReviews(c *gin.Context) {
	_, p, err := listQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := store.FraudReviewFilter{Limit: p.Limit + 1}
	if p.Cursor != "" {
		if f.AfterCreated, f.AfterID, err = fraudReviewCursor(p.Cursor); err != nil {
			s.fail(c, err)
			return
		}
	}
	items, err := s.Store.FraudReviews(c, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	var next *string
	if len(items) > p.Limit {
		items = items[:p.Limit]
		last := items[len(items)-1]
		cur := base64.RawURLEncoding.EncodeToString([]byte(fraudReviewScope + last.CreatedAt.UTC().Format(time.RFC3339Nano) + "|" + last.OrderID))
		next = &cur
	}
	c.JSON(http.StatusOK, listOf(items, next))
}

// fraudReviewScope ties the list's cursors to it.
const fraudReviewScope = "fraud-reviews@"

// fraudReviewCursor reads the (created_at, id) key a page of the review list ended at.
func fraudReviewCursor(cursor string) (time.Time, string, error) {
	bad := badParam("cursor", "is not a cursor this list gave out")
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return time.Time{}, "", bad
	}
	key, ok := strings.CutPrefix(string(raw), fraudReviewScope)
	at, id, ok2 := strings.Cut(key, "|")
	created, terr := time.Parse(time.RFC3339Nano, at)
	if _, uerr := uuid.Parse(id); !ok || !ok2 || terr != nil || uerr != nil {
		return time.Time{}, "", bad
	}
	return created, id, nil
}

type fraudReviewRequest struct {
	Decision string `json:"decision" binding:"required,oneof=approve reject"`
	Note     string `json:"note" binding:"max=1000"`
}

// fraudReviewResponse is the order after an admin's decision.
type fraudReviewResponse struct {
	OrderID string `json:"order_id"`
	// Decision is approved or rejected: the decision the saga acted on.
	Decision string `json:"decision"`
	// Status is awaiting_payment after an approval (the order is charged next), canceled after
	// a rejection.
	Status       string  `json:"status"`
	CancelReason *string `json:"cancel_reason"`
}

// reviewOrder approves or rejects an order waiting for a fraud review. An approved order goes
// on to be charged; a rejected one is canceled fraud_rejected, its stock released, nothing
// charged. Repeating the decision is told its outcome again; an order not waiting for a
// review, or decided the other way, is a 409.
func (s *Server) reviewOrder(c *gin.Context) {
	id, err := pathUUID(c, "id", "an order")
	if err != nil {
		s.fail(c, err)
		return
	}
	var req fraudReviewRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if s.FraudReviews == nil {
		s.fail(c, errs.E(errs.Unavailable, "fraud reviews are not available: no workflow service"))
		return
	}
	// The saga answers once it has acted on the decision (a rejection releases the stock first).
	ctx, cancel := context.WithTimeout(c.Request.Context(), time.Minute)
	defer cancel()
	out, err := s.FraudReviews.ReviewOrder(ctx, id, workflows.FraudDecision{
		Decision: req.Decision, ReviewerID: mustClaims(c).UserID(), Note: req.Note, Actor: requestActor(c)})
	switch {
	case err == nil && out.Decision != "" && out.Decision != reviewed(req.Decision):
		// The saga took another admin's decision first (a repeat of the same decision is told
		// that decision's outcome again).
		s.fail(c, errs.E(errs.Conflict, "order %s was %s already", id, out.Decision).WithDetails("fraud_decision", out.Decision))
	case err == nil:
		res := fraudReviewResponse{OrderID: id, Decision: out.Decision, Status: out.Status}
		if out.Reason != "" {
			res.CancelReason = &out.Reason
		}
		c.JSON(http.StatusOK, res)
	case errors.Is(err, workflows.ErrNotInReview), errors.Is(err, workflows.ErrNoSaga):
		s.notInReview(c, id)
	case errors.Is(err, workflows.ErrBadReview):
		s.fail(c, fieldInvalid("decision", "must be approve or reject"))
	default:
		s.fail(c, errs.Wrap(err, errs.Unavailable, "could not reach the order's checkout; try again shortly"))
	}
}

// reviewed is the decision recorded for a decision asked: approved or rejected.
func reviewed(decision string) string {
	if decision == workflows.ReviewApprove {
		return store.FraudApproved
	}
	return store.FraudRejected
}

// notInReview answers a decision on an order whose saga is not waiting for one: 404 when there
// is no such order, 409 naming its status otherwise.
func (s *Server) notInReview(c *gin.Context, orderID string) {
	ref, err := s.Store.OrderRefByID(c, orderID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.fail(c, errs.E(errs.Conflict, "order %s is not waiting for a fraud review", orderID).WithDetails("status", ref.Status))
}
