package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"shopflow/config"
)

type reviewView struct {
	ID               int64   `json:"id"`
	ProductID        int64   `json:"product_id"`
	AuthorName       string  `json:"author_name"`
	Rating           int     `json:"rating"`
	Title            string  `json:"title"`
	Body             string  `json:"body"`
	Status           string  `json:"status"`
	ModerationReason *string `json:"moderation_reason"`
	HelpfulCount     int     `json:"helpful_count"`
	Reply            *struct {
		Body string `json:"body"`
	} `json:"reply"`
	PublishedAt *time.Time `json:"published_at"`
}

type reviewPage struct {
	Items      []reviewView `json:"items"`
	NextCursor *string      `json:"next_cursor"`
}

type ratingView struct {
	Average   *float64       `json:"average"`
	Count     int            `json:"count"`
	Histogram map[string]int `json:"histogram"`
}

func reviewsPath(product int64) string { return fmt.Sprintf("/api/v1/products/%d/reviews", product) }

func reviewPath(product, review int64) string {
	return fmt.Sprintf("/api/v1/products/%d/reviews/%d", product, review)
}

// buyer is a customer with a placed order of product, through checkout and the saga's store steps.
func (e *testEnv) buyer(product int64) account {
	e.t.Helper()
	c := e.newCustomer()
	e.placeOrder(e.checkoutOrder(c, map[string]any{"product_id": product, "quantity": 1}).ID)
	return c
}

func (e *testEnv) postReview(c account, product int64, body map[string]any) reviewView {
	e.t.Helper()
	var r reviewView
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: reviewsPath(product), Token: c.Token, Body: body}).JSON(e.t, &r)
	return r
}

func (e *testEnv) decide(admin account, review int64, decision, reason string) reviewView {
	e.t.Helper()
	var r reviewView
	e.mustDo(http.StatusOK, req{Method: "POST", Path: fmt.Sprintf("/api/v1/admin/reviews/%d/decision", review), Token: admin.Token,
		Body: map[string]any{"decision": decision, "reason": reason}}).JSON(e.t, &r)
	return r
}

func (e *testEnv) productRating(product int64) ratingView {
	e.t.Helper()
	var p struct {
		Rating ratingView `json:"rating"`
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: fmt.Sprintf("/api/v1/products/%d", product)}).JSON(e.t, &p)
	return p.Rating
}

func TestReviewLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller, other := e.newAdmin(), e.newSeller(), e.newSeller()
	lamp := e.fixtureProduct(seller, productFixture{})
	alice, bob := e.buyer(lamp), e.buyer(lamp)

	r := e.postReview(alice, lamp, map[string]any{"rating": 4, "title": "  Bright  ", "body": "Lights the room."})
	if r.Status != "pending" || r.Title != "Bright" || r.PublishedAt != nil {
		t.Fatalf("new review %+v, want pending with a trimmed title", r)
	}
	var page reviewPage
	e.mustDo(http.StatusOK, req{Method: "GET", Path: reviewsPath(lamp)}).JSON(t, &page)
	if len(page.Items) != 0 {
		t.Errorf("public list before moderation: %+v, want empty", page.Items)
	}
	if n := e.countRows(`SELECT count(*) FROM notification_outbox WHERE kind = 'review_received' AND recipient_id = $1`, seller.ID); n != 1 {
		t.Errorf("seller notifications: %d, want 1", n)
	}

	e.mustDo(http.StatusUnprocessableEntity, req{Method: "POST", Path: fmt.Sprintf("/api/v1/admin/reviews/%d/decision", r.ID),
		Token: admin.Token, Body: map[string]any{"decision": "reject"}})
	var queue reviewPage
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/admin/reviews?status=pending", Token: admin.Token}).JSON(t, &queue)
	if len(queue.Items) != 1 || queue.Items[0].ID != r.ID {
		t.Errorf("moderation queue %+v, want the one review", queue.Items)
	}
	e.decide(admin, r.ID, "publish", "")
	e.mustDo(http.StatusConflict, req{Method: "POST", Path: fmt.Sprintf("/api/v1/admin/reviews/%d/decision", r.ID),
		Token: admin.Token, Body: map[string]any{"decision": "publish"}})
	if got := e.productRating(lamp); got.Count != 1 || got.Average == nil || *got.Average != 4 || got.Histogram["4"] != 1 {
		t.Errorf("product rating after publishing: %+v", got)
	}

	bobs := e.postReview(bob, lamp, map[string]any{"rating": 1, "title": "Broke", "body": ""})
	e.decide(admin, bobs.ID, "publish", "")
	if got := e.productRating(lamp); got.Count != 2 || *got.Average != 2.5 || got.Histogram["1"] != 1 || got.Histogram["4"] != 1 {
		t.Errorf("product rating with two reviews: %+v", got)
	}
	var list struct {
		Items []struct {
			ID     int64      `json:"id"`
			Rating ratingView `json:"rating"`
		} `json:"items"`
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/products?limit=100"}).JSON(t, &list)
	found := false
	for _, p := range list.Items {
		if p.ID == lamp {
			found = p.Rating.Count == 2 && *p.Rating.Average == 2.5
		}
	}
	if !found {
		t.Errorf("product list does not show the lamp's rating: %+v", list.Items)
	}

	// Helpful votes: idempotent, not on one's own review; most_helpful puts it first.
	for range 2 {
		e.mustDo(http.StatusOK, req{Method: "PUT", Path: reviewPath(lamp, bobs.ID) + "/helpful", Token: alice.Token})
	}
	e.mustDo(http.StatusForbidden, req{Method: "PUT", Path: reviewPath(lamp, bobs.ID) + "/helpful", Token: bob.Token})
	e.mustDo(http.StatusOK, req{Method: "GET", Path: reviewsPath(lamp) + "?sort=most_helpful"}).JSON(t, &page)
	if len(page.Items) != 2 || page.Items[0].ID != bobs.ID || page.Items[0].HelpfulCount != 1 {
		t.Errorf("most helpful first: %+v", page.Items)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: reviewsPath(lamp) + "?sort=highest&limit=1"}).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != r.ID || page.NextCursor == nil {
		t.Fatalf("highest, first page: %+v", page)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: reviewsPath(lamp) + "?sort=highest&limit=1&cursor=" + *page.NextCursor}).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != bobs.ID || page.NextCursor != nil {
		t.Errorf("highest, second page: %+v", page)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: reviewsPath(lamp) + "?rating=1"}).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != bobs.ID {
		t.Errorf("rating=1: %+v", page.Items)
	}

	// The seller replies once; another seller may not.
	e.mustDo(http.StatusForbidden, req{Method: "POST", Path: reviewPath(lamp, bobs.ID) + "/reply", Token: other.Token, Body: map[string]any{"body": "Not mine"}})
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: reviewPath(lamp, bobs.ID) + "/reply", Token: seller.Token, Body: map[string]any{"body": "Sorry!"}})
	e.mustDo(http.StatusConflict, req{Method: "POST", Path: reviewPath(lamp, bobs.ID) + "/reply", Token: seller.Token, Body: map[string]any{"body": "Again"}})

	// Another customer can neither edit nor delete Alice's review; the edit changes nothing.
	e.mustDo(http.StatusForbidden, req{Method: "PUT", Path: reviewPath(lamp, r.ID), Token: bob.Token, Body: map[string]any{"rating": 1, "title": "Hacked"}})
	e.mustDo(http.StatusForbidden, req{Method: "DELETE", Path: reviewPath(lamp, r.ID), Token: bob.Token})
	var mine reviewView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: reviewsPath(lamp) + "/mine", Token: alice.Token}).JSON(t, &mine)
	if mine.Title != "Bright" || mine.Rating != 4 || mine.Status != "published" {
		t.Errorf("Alice's review after Bob's attempts: %+v", mine)
	}

	// Alice's edit goes back to pending and out of the rating; a rejection says why.
	edited := reviewView{}
	e.mustDo(http.StatusOK, req{Method: "PUT", Path: reviewPath(lamp, r.ID), Token: alice.Token,
		Body: map[string]any{"rating": 2, "title": "Dimmer", "body": "Bulb fades."}}).JSON(t, &edited)
	if edited.Status != "pending" {
		t.Errorf("edited review %+v, want pending", edited)
	}
	if got := e.productRating(lamp); got.Count != 1 || *got.Average != 1 {
		t.Errorf("rating after the edit: %+v, want Bob's alone", got)
	}
	e.decide(admin, r.ID, "reject", "Off topic")
	e.mustDo(http.StatusOK, req{Method: "GET", Path: reviewsPath(lamp) + "/mine", Token: alice.Token}).JSON(t, &mine)
	if mine.Status != "rejected" || mine.ModerationReason == nil || *mine.ModerationReason != "Off topic" {
		t.Errorf("rejected review as its author sees it: %+v", mine)
	}
	e.mustDo(http.StatusNoContent, req{Method: "DELETE", Path: reviewPath(lamp, bobs.ID), Token: bob.Token})
	if got := e.productRating(lamp); got.Count != 0 || got.Average != nil {
		t.Errorf("rating with no published review: %+v", got)
	}
}

func TestReviewsAreForVerifiedBuyersOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller := e.newSeller()
	lamp := e.fixtureProduct(seller, productFixture{})
	stranger := e.newCustomer()
	body := map[string]any{"rating": 5, "title": "Great"}

	res := e.mustDo(http.StatusForbidden, req{Method: "POST", Path: reviewsPath(lamp), Token: stranger.Token, Body: body})
	if res.ErrorCode(t) != "forbidden" {
		t.Errorf("unverified: %s", res.Body)
	}
	pending := e.newCustomer()
	e.checkoutOrder(pending, map[string]any{"product_id": lamp, "quantity": 1}) // never placed
	e.mustDo(http.StatusForbidden, req{Method: "POST", Path: reviewsPath(lamp), Token: pending.Token, Body: body})

	c := e.buyer(lamp)
	e.postReview(c, lamp, body)
	res = e.mustDo(http.StatusConflict, req{Method: "POST", Path: reviewsPath(lamp), Token: c.Token, Body: body})
	if res.ErrorCode(t) != "conflict" {
		t.Errorf("second review: %s", res.Body)
	}
	e.mustDo(http.StatusForbidden, req{Method: "POST", Path: reviewsPath(lamp), Token: seller.Token, Body: body})
	if n := e.countRows(`SELECT count(*) FROM reviews`); n != 1 {
		t.Errorf("reviews stored: %d, want 1", n)
	}
}

func TestReviewBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller := e.newSeller()
	lamp := e.fixtureProduct(seller, productFixture{})
	c := e.buyer(lamp)
	long := strings.Repeat("x", 201)
	for _, tc := range []struct {
		name   string
		path   string
		body   any
		status int
		field  string
	}{
		{"rating 0", reviewsPath(lamp), map[string]any{"rating": 0, "title": "t"}, 422, "rating"},
		{"rating 6", reviewsPath(lamp), map[string]any{"rating": 6, "title": "t"}, 422, "rating"},
		{"rating missing", reviewsPath(lamp), map[string]any{"title": "t"}, 422, "rating"},
		{"title too long", reviewsPath(lamp), map[string]any{"rating": 3, "title": long}, 422, "title"},
		{"title blank", reviewsPath(lamp), map[string]any{"rating": 3, "title": "   "}, 422, "title"},
		{"body too long", reviewsPath(lamp), map[string]any{"rating": 3, "title": "t", "body": strings.Repeat("é", 5001)}, 422, "body"},
		{"rating a string", reviewsPath(lamp), map[string]any{"rating": "5", "title": "t"}, 400, "rating"},
		{"unknown field", reviewsPath(lamp), map[string]any{"rating": 5, "title": "t", "stars": 5}, 400, "stars"},
		{"NUL in body", reviewsPath(lamp), `{"rating": 5, "title": "t", "body": "a\u0000b"}`, 400, "body"},
		{"unknown product", reviewsPath(1 << 40), map[string]any{"rating": 5, "title": "t"}, 404, ""},
		{"product id not a number", "/api/v1/products/lamp/reviews", map[string]any{"rating": 5, "title": "t"}, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.mustDo(tc.status, req{Method: "POST", Path: tc.path, Token: c.Token, Body: tc.body})
			ev := catErr(t, res)
			if ev.Error.Message == "" {
				t.Errorf("no error message: %s", res.Body)
			}
			if tc.field != "" {
				if fields, _ := ev.Error.Details["fields"].(map[string]any); fields[tc.field] == nil {
					t.Errorf("details.fields does not name %s: %s", tc.field, res.Body)
				}
			}
		})
	}
	for _, q := range []string{"sort=best", "rating=0", "rating=six", "cursor=bogus"} {
		e.mustDo(http.StatusBadRequest, req{Method: "GET", Path: reviewsPath(lamp) + "?" + q})
	}
	e.mustDo(http.StatusNotFound, req{Method: "GET", Path: reviewsPath(1 << 40)})
	if n := e.countRows(`SELECT count(*) FROM reviews`); n != 0 {
		t.Errorf("bad requests stored %d reviews", n)
	}
	if got := e.productRating(lamp); got.Count != 0 {
		t.Errorf("bad requests moved the rating: %+v", got)
	}
}

// Markup in a review is text: stored and answered exactly as typed, JSON-escaped, never as HTML.
func TestReviewMarkupComesBackInert(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.ReviewsAutoPublish = true })
	seller := e.newSeller()
	lamp := e.fixtureProduct(seller, productFixture{})
	c := e.buyer(lamp)
	body := `<script>alert("x")</script><img src=x onerror=alert(1)> & <b>bold</b>`
	title := `<h1>Title</h1>`
	r := e.postReview(c, lamp, map[string]any{"rating": 5, "title": title, "body": body})
	if r.Status != "published" {
		t.Errorf("auto-published review is %s", r.Status)
	}
	res := e.mustDo(http.StatusOK, req{Method: "GET", Path: reviewsPath(lamp)})
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	for _, raw := range []string{"<script", "<img", "<h1", "<b>"} {
		if strings.Contains(string(res.Body), raw) {
			t.Errorf("response carries raw %q: %s", raw, res.Body)
		}
	}
	if !strings.Contains(string(res.Body), `\u003cscript\u003e`) {
		t.Errorf("script tag is not JSON-escaped: %s", res.Body)
	}
	var page reviewPage
	res.JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].Body != body || page.Items[0].Title != title {
		t.Errorf("review text changed on the way: %+v", page.Items)
	}
}
