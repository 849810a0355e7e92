package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"shopflow/store"
)

// A shopper buys through the real saga, the seller ships and delivers, the shopper reviews,
// an admin publishes: the rating shows on the product, and search sorts and filters by it
// (sort=rating, min_rating) within the answer cache's lifetime. The seller hears of the review
// in its inbox, through the outbox.
func TestReviewedProductShowsItsRatingInSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	reviewed, unrated := e.newProduct(5, 1500), e.newProduct(5, 1600)
	seller, admin := e.catalog.seller, e.newAdmin()
	inCategory := url.Values{"category_id": {fmt.Sprint(e.catalog.category)}}

	cust := e.newCustomer()
	reviewPath := fmt.Sprintf("/api/v1/products/%d/reviews", reviewed)
	body := map[string]any{"rating": 4, "title": "Sturdy", "body": "Does the job."}
	e.mustSend(request{method: "POST", path: reviewPath, token: cust.Token, body: body}, nil, http.StatusForbidden)

	o := e.checkout(cust, checkoutOf(cardVisa, line{ProductID: reviewed, Quantity: 1}))
	wantOutcome(t, e.awaitSaga(o.ID), store.OrderPlaced, "")
	e.mustSend(request{method: "POST", path: "/api/v1/orders/" + o.ID + "/ship", token: seller.Token}, nil, http.StatusOK)
	var delivered order
	e.mustSend(request{method: "POST", path: "/api/v1/orders/" + o.ID + "/deliver", token: seller.Token}, &delivered, http.StatusOK)
	if delivered.Status != store.OrderDelivered {
		t.Fatalf("order is %s, want delivered", delivered.Status)
	}

	var review struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	e.mustSend(request{method: "POST", path: reviewPath, token: cust.Token, body: body}, &review, http.StatusCreated)
	if review.Status != "pending" {
		t.Fatalf("new review is %s, want pending", review.Status)
	}
	e.mustSend(request{method: "POST", path: fmt.Sprintf("/api/v1/admin/reviews/%d/decision", review.ID), token: admin.Token,
		body: map[string]any{"decision": "publish"}}, nil, http.StatusOK)

	var p struct {
		Rating struct {
			Average   *float64       `json:"average"`
			Count     int            `json:"count"`
			Histogram map[string]int `json:"histogram"`
		} `json:"rating"`
	}
	e.mustSend(request{method: "GET", path: fmt.Sprintf("/api/v1/products/%d", reviewed)}, &p, http.StatusOK)
	if p.Rating.Count != 1 || p.Rating.Average == nil || *p.Rating.Average != 4 || p.Rating.Histogram["4"] != 1 {
		t.Errorf("product rating %+v, want one 4-star review", p.Rating)
	}

	byRating := url.Values{"category_id": inCategory["category_id"], "sort": {"rating"}}
	atLeast := url.Values{"category_id": inCategory["category_id"], "min_rating": {"3.5"}}
	want := fmt.Sprint([]int64{reviewed, unrated})
	var sorted, filtered searchPage
	eventually(t, freshness, func() (bool, error) {
		sorted, filtered = e.mustSearch(byRating), e.mustSearch(atLeast)
		return sorted.ids() == want && filtered.ids() == fmt.Sprint([]int64{reviewed}), nil
	}, func() string {
		return fmt.Sprintf("sort=rating to list %s (lists %s) and min_rating=3.5 only %d (lists %s)", want, sorted.ids(), reviewed, filtered.ids())
	})

	// The seller's notification, delivered by the outbox drain (as the Schedule runs it) to its
	// in-app inbox.
	if res, _ := e.drainOutbox(context.Background()); res.Sent == 0 {
		t.Fatalf("outbox drain sent nothing: %+v", res)
	}
	found := false
	for _, n := range e.inbox(seller) {
		found = found || n.Kind == store.ReviewReceivedKind
	}
	if !found {
		t.Errorf("the seller's inbox %+v has no %s notification", e.inbox(seller), store.ReviewReceivedKind)
	}
}
