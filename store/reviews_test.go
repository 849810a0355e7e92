package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"shopflow/errs"
	"shopflow/store"
)

// bought gives customer an order in status holding one line of product.
func (f *orderFixture) bought(customer string, product int64, status string) {
	f.t.Helper()
	ctx := context.Background()
	var orderID, seller string
	if err := f.st.Pool.QueryRow(ctx, `SELECT seller_id::text FROM products WHERE id = $1`, product).Scan(&seller); err != nil {
		f.t.Fatal(err)
	}
	reason := map[bool]any{true: "payment_failed", false: nil}[status == "canceled"]
	if err := f.st.Pool.QueryRow(ctx, `INSERT INTO orders (customer_id, status, cancel_reason, currency, total_cents)
		VALUES ($1, $2, $3, 'USD', 0) RETURNING id`, customer, status, reason).Scan(&orderID); err != nil {
		f.t.Fatal(err)
	}
	f.exec(`INSERT INTO order_items (order_id, line_no, product_id, seller_id, quantity, unit_price_cents, currency)
		VALUES ($1, 1, $2, $3, 1, 0, 'USD')`, orderID, product, seller)
}

// ratingRecount is every product's aggregate as stored beside a recount of its published
// reviews, one line per product that differs.
func (f *orderFixture) ratingMismatches() []string {
	f.t.Helper()
	rows, err := f.st.Pool.Query(context.Background(), `
		WITH recount AS (
			SELECT product_id, count(*) AS n, sum(rating) AS total,
			       count(*) FILTER (WHERE rating = 1) AS r1, count(*) FILTER (WHERE rating = 2) AS r2,
			       count(*) FILTER (WHERE rating = 3) AS r3, count(*) FILTER (WHERE rating = 4) AS r4,
			       count(*) FILTER (WHERE rating = 5) AS r5, round(avg(rating), 2) AS avg
			FROM reviews WHERE status = 'published' GROUP BY product_id)
		SELECT p.id, format('stored count %s sum %s hist %s/%s/%s/%s/%s avg %s; recount %s %s %s/%s/%s/%s/%s avg %s',
			st.rating_count, st.rating_sum, st.rating_1, st.rating_2, st.rating_3, st.rating_4, st.rating_5, st.rating_avg,
			coalesce(rc.n, 0), coalesce(rc.total, 0), coalesce(rc.r1, 0), coalesce(rc.r2, 0), coalesce(rc.r3, 0),
			coalesce(rc.r4, 0), coalesce(rc.r5, 0), rc.avg)
		FROM products p
		LEFT JOIN product_search_stats st ON st.product_id = p.id
		LEFT JOIN recount rc ON rc.product_id = p.id
		WHERE (coalesce(st.rating_count, 0), coalesce(st.rating_sum, 0), coalesce(st.rating_1, 0), coalesce(st.rating_2, 0),
		       coalesce(st.rating_3, 0), coalesce(st.rating_4, 0), coalesce(st.rating_5, 0))
		      IS DISTINCT FROM (coalesce(rc.n, 0), coalesce(rc.total, 0), coalesce(rc.r1, 0), coalesce(rc.r2, 0),
		       coalesce(rc.r3, 0), coalesce(rc.r4, 0), coalesce(rc.r5, 0))
		   OR st.rating_avg IS DISTINCT FROM rc.avg`)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("product %d: %s", id, s))
	}
	if err := rows.Err(); err != nil {
		f.t.Fatal(err)
	}
	return out
}

func TestReviewRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newOrderFixture(t, 4)
	lamp := f.product(f.sellerA, "active", "USD", 1000, 5)
	draft := f.product(f.sellerA, "draft", "USD", 1000, 5)
	f.bought(f.customer, lamp, "delivered")
	f.bought(f.customer, draft, "placed")
	f.bought(f.another, lamp, "canceled")
	text := store.ReviewText{Rating: 4, Title: "Bright", Body: "Lights the room."}

	_, err := f.st.CreateReview(ctx, store.NewReview{ProductID: lamp, CustomerID: f.another, ReviewText: text})
	if !errs.Is(err, errs.Forbidden) {
		t.Errorf("review after a canceled order only: %v, want forbidden", err)
	}
	if _, err := f.st.CreateReview(ctx, store.NewReview{ProductID: draft, CustomerID: f.customer, ReviewText: text}); !errs.Is(err, errs.NotFound) {
		t.Errorf("review of a draft: %v, want not found", err)
	}
	r, err := f.st.CreateReview(ctx, store.NewReview{ProductID: lamp, CustomerID: f.customer, ReviewText: text})
	if err != nil || r.Status != store.ReviewPending || r.PublishedAt != nil {
		t.Fatalf("first review: %+v %v, want pending", r, err)
	}
	if _, err := f.st.CreateReview(ctx, store.NewReview{ProductID: lamp, CustomerID: f.customer, ReviewText: text}); !errs.Is(err, errs.Conflict) {
		t.Errorf("second review: %v, want conflict", err)
	}
	if n := f.count(`SELECT count(*) FROM notification_outbox o JOIN sellers s ON s.user_id = o.recipient_id
		WHERE s.id = $1 AND o.kind = $2 AND o.payload->>'review_id' = $3`, f.sellerA, store.ReviewReceivedKind, fmt.Sprint(r.ID)); n != 1 {
		t.Errorf("seller notifications of the review: %d, want 1", n)
	}
	if _, err := f.st.EditReview(ctx, store.ReviewEdit{ProductID: lamp, ReviewID: r.ID, CustomerID: f.another, ReviewText: text}); !errs.Is(err, errs.Forbidden) {
		t.Errorf("edit by another customer: %v, want forbidden", err)
	}
	if err := f.st.DeleteReview(ctx, lamp, r.ID, f.another, false); !errs.Is(err, errs.Forbidden) {
		t.Errorf("delete by another customer: %v, want forbidden", err)
	}
	if _, err := f.st.ReplyToReview(ctx, lamp, r.ID, f.sellerB, "Thanks"); !errs.Is(err, errs.Forbidden) {
		t.Errorf("reply by another seller: %v, want forbidden", err)
	}
	if rating, _ := f.st.RatingOf(ctx, lamp); rating.Count != 0 || rating.Average != nil {
		t.Errorf("rating with only a pending review: %+v, want none", rating)
	}

	admin := f.customer // any user id will do as the moderator's
	pub, err := f.st.ModerateReview(ctx, store.ReviewDecision{ReviewID: r.ID, AdminID: admin, Decision: store.DecisionPublish})
	if err != nil || pub.Status != store.ReviewPublished || pub.PublishedAt == nil {
		t.Fatalf("publish: %+v %v", pub, err)
	}
	if _, err := f.st.ModerateReview(ctx, store.ReviewDecision{ReviewID: r.ID, AdminID: admin, Decision: store.DecisionPublish}); !errs.Is(err, errs.Conflict) {
		t.Errorf("publishing a published review: %v, want conflict", err)
	}
	rating, _ := f.st.RatingOf(ctx, lamp)
	if rating.Count != 1 || rating.Average == nil || *rating.Average != 4 || rating.Histogram != [5]int{0, 0, 0, 1, 0} {
		t.Errorf("rating after publishing: %+v", rating)
	}
	if _, err := f.st.VoteHelpful(ctx, lamp, r.ID, f.customer); !errs.Is(err, errs.Forbidden) {
		t.Errorf("vote on own review: %v, want forbidden", err)
	}
	for range 2 {
		v, err := f.st.VoteHelpful(ctx, lamp, r.ID, f.another)
		if err != nil || v.HelpfulCount != 1 {
			t.Errorf("vote (idempotent): %+v %v, want 1 vote", v, err)
		}
	}
	if _, err := f.st.ReplyToReview(ctx, lamp, r.ID, f.sellerA, "Thanks!"); err != nil {
		t.Errorf("reply: %v", err)
	}
	if _, err := f.st.ReplyToReview(ctx, lamp, r.ID, f.sellerA, "Again"); !errs.Is(err, errs.Conflict) {
		t.Errorf("second reply: %v, want conflict", err)
	}

	edited, err := f.st.EditReview(ctx, store.ReviewEdit{ProductID: lamp, ReviewID: r.ID, CustomerID: f.customer,
		ReviewText: store.ReviewText{Rating: 2, Title: "Dimmer now", Body: ""}})
	if err != nil || edited.Status != store.ReviewPending || edited.PublishedAt != nil {
		t.Errorf("edit of a published review: %+v %v, want pending again", edited, err)
	}
	if rating, _ := f.st.RatingOf(ctx, lamp); rating.Count != 0 {
		t.Errorf("rating after the edit: %+v, want none until it is published again", rating)
	}
	auto, err := f.st.EditReview(ctx, store.ReviewEdit{ProductID: lamp, ReviewID: r.ID, CustomerID: f.customer, AutoPublish: true,
		ReviewText: store.ReviewText{Rating: 5, Title: "Great", Body: ""}})
	if err != nil || auto.Status != store.ReviewPublished {
		t.Errorf("auto-published edit: %+v %v", auto, err)
	}
	if err := f.st.DeleteReview(ctx, lamp, r.ID, f.customer, false); err != nil {
		t.Errorf("delete own review: %v", err)
	}
	if bad := f.ratingMismatches(); len(bad) > 0 {
		t.Errorf("aggregates differ from a recount: %v", bad)
	}
	if n := f.count(`SELECT count(*) FROM search_changes WHERE product_id = $1 AND reason = 'stats'`, lamp); n < 3 {
		t.Errorf("search changes queued for the lamp's rating: %d, want one per change", n)
	}
}

// TestRatingsEqualARecountUnderConcurrentChanges runs thousands of random review operations
// from several goroutines at once over a few products, then compares every product's stored
// aggregate and histogram with a recount in SQL, and helpful counts with the votes.
func TestRatingsEqualARecountUnderConcurrentChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newOrderFixture(t, 8)
	const products, customers, workers, opsPerWorker = 3, 24, 6, 600
	var prods []int64
	for range products {
		prods = append(prods, f.product(f.sellerA, "active", "USD", 1000, 5))
	}
	users := []string{f.customer, f.another}
	for i := range customers - 2 {
		u, err := f.st.CreateUser(ctx, store.NewUser{Email: fmt.Sprintf("rc%d@example.com", i), PasswordHash: "x", Role: store.RoleCustomer})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	for _, u := range users {
		for _, p := range prods {
			f.bought(u, p, "delivered")
		}
	}
	var mu sync.Mutex
	ops := map[string]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 14))
			for range opsPerWorker {
				op, err := randomReviewOp(ctx, f.st, rng, prods, users)
				if err != nil && !errs.Is(err, errs.NotFound) && !errs.Is(err, errs.Conflict) && !errs.Is(err, errs.Forbidden) {
					t.Errorf("%s: %v", op, err)
					return
				}
				mu.Lock()
				ops[op+map[bool]string{true: " ok", false: " refused"}[err == nil]]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("operations: %v", ops)
	for _, op := range []string{"create ok", "edit ok", "publish ok", "reject ok", "delete ok", "vote ok"} {
		if ops[op] == 0 {
			t.Errorf("no %q among %v: the test did not exercise it", op, ops)
		}
	}
	if bad := f.ratingMismatches(); len(bad) > 0 {
		t.Errorf("aggregates differ from a recount:\n%v", bad)
	}
	if n := f.count(`SELECT count(*) FROM reviews r WHERE helpful_count <> (SELECT count(*) FROM review_votes v WHERE v.review_id = r.id)`); n != 0 {
		t.Errorf("%d reviews' helpful counts differ from their votes", n)
	}
	if n := f.count(`SELECT count(*) FROM reviews WHERE status = 'published'`); n == 0 {
		t.Errorf("no review ended published: the comparison proves little")
	}
}

// randomReviewOp runs one random operation on a random review and says which.
func randomReviewOp(ctx context.Context, st *store.Store, rng *rand.Rand, prods []int64, users []string) (string, error) {
	p, u := prods[rng.IntN(len(prods))], users[rng.IntN(len(users))]
	text := store.ReviewText{Rating: 1 + rng.IntN(5), Title: "t", Body: "b"}
	auto := rng.IntN(4) == 0
	if rng.IntN(3) == 0 {
		_, err := st.CreateReview(ctx, store.NewReview{ProductID: p, CustomerID: u, AutoPublish: auto, ReviewText: text})
		return "create", err
	}
	mine, err := st.MyReview(ctx, p, u)
	if err != nil {
		return "read", err
	}
	switch rng.IntN(6) {
	case 0:
		_, err = st.EditReview(ctx, store.ReviewEdit{ProductID: p, ReviewID: mine.ID, CustomerID: u, AutoPublish: auto, ReviewText: text})
		return "edit", err
	case 1, 2:
		_, err = st.ModerateReview(ctx, store.ReviewDecision{ReviewID: mine.ID, AdminID: users[0], Decision: store.DecisionPublish})
		return "publish", err
	case 3:
		_, err = st.ModerateReview(ctx, store.ReviewDecision{ReviewID: mine.ID, AdminID: users[0], Decision: store.DecisionReject, Reason: "no"})
		return "reject", err
	case 4:
		return "delete", st.DeleteReview(ctx, p, mine.ID, u, false)
	default:
		_, err = st.VoteHelpful(ctx, p, mine.ID, users[rng.IntN(len(users))])
		return "vote", err
	}
}
