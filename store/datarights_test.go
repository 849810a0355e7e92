package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"shopflow/errs"
	"shopflow/store"
)

// seedPersonalData gives the fixture's customer one of everything erasure must reach, and
// returns the delivered order.
func seedPersonalData(t *testing.T, f *orderFixture) (product int64, orderID string) {
	t.Helper()
	ctx := context.Background()
	product = f.product(f.sellerA, "active", "USD", 1000, 10)
	f.bought(f.customer, product, "delivered")
	if err := f.st.Pool.QueryRow(ctx, `UPDATE orders SET client_ip = '10.1.2.3',
		shipping_address = '{"name": "Casey Doe", "line1": "1 Main St"}' WHERE customer_id = $1 RETURNING id::text`, f.customer).Scan(&orderID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CreateReview(ctx, store.NewReview{ProductID: product, CustomerID: f.customer, AutoPublish: true,
		ReviewText: store.ReviewText{Rating: 5, Title: "Casey says great"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SetCartItem(ctx, f.customer, product, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SetWishlistItem(ctx, f.customer, product, 1); err != nil {
		t.Fatal(err)
	}
	f.exec(`UPDATE users SET name = 'Casey Doe' WHERE id = $1`, f.customer)
	// Others' messages about the customer: a seller's review notice, and an admin's copy.
	f.exec(`INSERT INTO notifications (idempotency_key, recipient_id, channel, kind, body)
		VALUES ('n3', $1, 'inapp', 'review_received', 'Casey Doe (c@example.com) wrote a review')`, f.another)
	f.exec(`INSERT INTO notification_outbox (key, recipient_id, kind, payload) VALUES ('o2', $1, 'review_received', '{"title": "Casey Doe says"}')`, f.another)
	f.exec(`INSERT INTO marketing_preferences (user_id, promotions, phone) VALUES ($1, true, '+4915112345678')`, f.customer)
	f.exec(`INSERT INTO notifications (idempotency_key, recipient_id, address, channel, kind, subject)
		VALUES ('n1', $1, 'c@example.com', 'email', 'order_placed', 'Hello Casey')`, f.customer)
	f.exec(`INSERT INTO notifications (idempotency_key, address, channel, kind) VALUES ('n2', 'C@example.com', 'email', 'file')`)
	f.exec(`INSERT INTO notification_outbox (key, recipient_id, kind) VALUES ('o1', $1, 'order_placed')`, f.customer)
	f.exec(`INSERT INTO notification_files (sha256, format, rows, results) VALUES ('x', 'csv',
		'[{"row": 1, "recipient": "c@example.com", "message": "Hi Casey"}, {"row": 2, "recipient": "d@example.com", "message": "Hi"}]', '[]')`)
	f.exec(`INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1::text || ' POST /api/v1/checkout', 'k', 'h')`, f.customer)
	f.exec(`INSERT INTO returns (order_id, customer_id, seller_id, reason, tracking) VALUES ($1, $2, $3, 'Casey changed her mind', 'TRK1')`,
		orderID, f.customer, f.sellerA)
	return product, orderID
}

// Erasure removes the customer's personal data, keeps the order's amounts and the product's
// rating right, records one audit record, and resumes after a crash without redoing steps.
func TestErasureRemovesPersonalDataAndResumes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newOrderFixture(t, 4)
	product, orderID := seedPersonalData(t, f)

	e, err := f.st.StartErasure(ctx, f.customer, f.customer)
	if err != nil || e.Status != store.ErasureRunning {
		t.Fatalf("start erasure: %+v, %v", e, err)
	}
	if again, err := f.st.StartErasure(ctx, f.customer, f.customer); err != nil || again.CreatedAt != e.CreatedAt {
		t.Fatalf("second start: %+v, %v; want the first", again, err)
	}
	// A crash after half the steps: the rerun skips them.
	half := store.ErasureSteps[:len(store.ErasureSteps)/2]
	for _, step := range half {
		if _, skipped, err := f.st.RunErasureStep(ctx, f.customer, step, 0); err != nil || skipped {
			t.Fatalf("step %s: skipped %v, %v", step, skipped, err)
		}
	}
	if _, err := f.st.FinishErasure(ctx, f.customer); !errs.Is(err, errs.Conflict) {
		t.Fatalf("finish with steps left: %v, want conflict", err)
	}
	for i, step := range store.ErasureSteps {
		_, skipped, err := f.st.RunErasureStep(ctx, f.customer, step, 0)
		if err != nil || skipped != (i < len(half)) {
			t.Fatalf("rerun step %s: skipped %v, %v", step, skipped, err)
		}
	}
	done, err := f.st.FinishErasure(ctx, f.customer)
	if err != nil || done.Status != store.ErasureDone {
		t.Fatalf("finish: %+v, %v", done, err)
	}
	if done.Counts[store.EraseReviews] != 1 || done.Counts[store.EraseNotifications] != 6 {
		t.Errorf("counts %v: want 1 review, 6 notification rows (2 sends, 1 queued, 1 file, 2 others' redacted)", done.Counts)
	}

	for name, q := range map[string]string{
		"user still named":     `SELECT count(*) FROM users WHERE id = $1 AND (email <> 'erased-' || id || '@erased.invalid' OR name <> '' OR disabled_at IS NULL)`,
		"reviews":              `SELECT count(*) FROM reviews WHERE customer_id = $1`,
		"cart":                 `SELECT count(*) FROM carts WHERE user_id = $1`,
		"wishlist":             `SELECT count(*) FROM wishlists WHERE user_id = $1`,
		"marketing":            `SELECT count(*) FROM marketing_preferences WHERE user_id = $1`,
		"notifications":        `SELECT count(*) FROM notifications WHERE recipient_id = $1 OR lower(address) = 'c@example.com'`,
		"outbox":               `SELECT count(*) FROM notification_outbox WHERE recipient_id = $1`,
		"file rows":            `SELECT count(*) FROM notification_files WHERE rows::text ILIKE '%c@example.com%' AND $1::uuid IS NOT NULL`,
		"idempotency":          `SELECT count(*) FROM idempotency_keys WHERE scope LIKE $1::text || '%'`,
		"return text":          `SELECT count(*) FROM returns WHERE customer_id = $1 AND (reason <> '' OR tracking <> '')`,
		"address or ip kept":   `SELECT count(*) FROM orders WHERE customer_id = $1 AND (shipping_address <> '{}' OR client_ip IS NOT NULL)`,
		"amounts changed":      `SELECT count(*) FROM orders WHERE customer_id = $1 AND total_cents <> 0`,
		"missing audit record": `SELECT 1 - count(*) FROM audit_log WHERE action = 'user.erase' AND resource_id = $1::text`,
	} {
		if n := f.count(q, f.customer); n != 0 {
			t.Errorf("%s: %d rows", name, n)
		}
	}
	if n := f.count(`SELECT count(*) FROM notifications WHERE recipient_id = $1 AND body = '[erased] ([erased]) wrote a review'`, f.another); n != 1 {
		t.Errorf("another's notification about the customer not redacted")
	}
	if n := f.count(`SELECT count(*) FROM notification_outbox WHERE recipient_id = $1 AND payload->>'title' = '[erased] says'`, f.another); n != 1 {
		t.Errorf("another's queued notice about the customer not redacted")
	}
	if n := f.count(`SELECT count(*) FROM orders WHERE id = $1`, orderID); n != 1 {
		t.Errorf("the order is gone")
	}
	if n := f.count(`SELECT count(*) FROM notification_files WHERE rows::text ILIKE '%d@example.com%'`); n != 1 {
		t.Errorf("another recipient's file row was removed")
	}
	if r, err := f.st.RatingOf(ctx, product); err != nil || r.Count != 0 {
		t.Errorf("rating after erasure: %+v, %v; want no reviews counted", r, err)
	}
	if _, err := f.st.CreateDataExport(ctx, f.customer); !errs.Is(err, errs.Conflict) {
		t.Errorf("export of an erased account: %v, want conflict", err)
	}
	if _, _, err := f.st.RunErasureStep(ctx, f.customer, store.EraseCart, 0); !errs.Is(err, errs.Conflict) {
		t.Errorf("step after finish: %v, want conflict", err)
	}
	if _, err := f.st.StartErasure(ctx, f.sellerUser(), ""); !errs.Is(err, errs.Conflict) {
		t.Errorf("erasure of a seller: %v, want conflict", err)
	}
}

func (f *orderFixture) sellerUser() string {
	var id string
	if err := f.st.Pool.QueryRow(context.Background(), `SELECT user_id::text FROM sellers WHERE id = $1`, f.sellerA).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// An export's link works with its token until it expires; a retried finish keeps the token
// that was sent; another customer cannot see the export.
func TestDataExportLink(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newOrderFixture(t, 4)
	seedPersonalData(t, f)
	exp, err := f.st.CreateDataExport(ctx, f.customer)
	if err != nil || exp.Status != store.ExportPending {
		t.Fatalf("create export: %+v, %v", exp, err)
	}
	page, err := f.st.ExportSectionPage(ctx, f.customer, "orders", "", 10)
	if err != nil || len(page.Rows) != 1 {
		t.Fatalf("orders page: %d rows, %v", len(page.Rows), err)
	}
	for _, section := range store.ExportSections {
		if _, err := f.st.ExportSectionPage(ctx, f.customer, section, "", 10); err != nil {
			t.Errorf("section %s: %v", section, err)
		}
	}
	if _, err := f.st.DataExportOf(ctx, f.another, exp.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("another customer's view: %v, want not found", err)
	}
	finish := func(token string) bool {
		made, err := f.st.FinishDataExport(ctx, store.ExportLink{ExportID: exp.ID, StorageKey: "exports/x.zip", TTL: time.Hour,
			Token: token, Counts: map[string]int64{"orders": 1}, Rows: 1,
			Notice: func(time.Time) store.Notice { return store.Notice{Key: "export:" + exp.ID, Kind: "data_export_ready"} }})
		if err != nil {
			t.Fatal(err)
		}
		return made
	}
	if !finish("tok-1") || finish("tok-2") {
		t.Fatal("finish twice: want made once")
	}
	if n := f.count(`SELECT count(*) FROM notification_outbox WHERE key = $1`, "export:"+exp.ID); n != 1 {
		t.Errorf("%d notices, want 1", n)
	}
	now := time.Now()
	if _, err := f.st.DownloadableExport(ctx, exp.ID, "tok-1", now); err != nil {
		t.Errorf("download with the token sent: %v", err)
	}
	if _, err := f.st.DownloadableExport(ctx, exp.ID, "tok-2", now); !errs.Is(err, errs.NotFound) {
		t.Errorf("download with the retry's token: %v, want not found", err)
	}
	if _, err := f.st.DownloadableExport(ctx, exp.ID, "tok-1", now.Add(2*time.Hour)); !errors.Is(err, store.ErrExportExpired) {
		t.Errorf("download after expiry: %v, want expired", err)
	}
}
