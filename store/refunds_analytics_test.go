package store_test

import (
	"context"
	"testing"
	"time"

	"shopflow/store"
)

// TestSellerAnalyticsNetOfRefunds: a refund that succeeded shows in the seller's analytics, in
// the period it succeeded, as its lines' value after discount, and makes net revenue net of it.
func TestSellerAnalyticsNetOfRefunds(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	p := f.product(f.sellerA, "active", "USD", 300, 10)
	o := f.paid(-1, store.OrderItem{ProductID: p, Quantity: 3})
	f.exec(`UPDATE order_items SET discount_cents = 30 WHERE order_id = $1`, o.ID)
	r, err := f.st.CreateRefund(ctx, refundOf(o.ID, "k", store.RefundLine{LineNo: 1, Quantity: 2}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CompleteRefund(ctx, r.ID, "re_1"); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	a, err := f.st.SalesAnalytics(ctx, store.AnalyticsQuery{SellerID: f.sellerA, From: today.AddDate(0, 0, -1),
		To: today.AddDate(0, 0, 2), Granularity: store.GranularityDay, TopN: 5})
	if err != nil {
		t.Fatal(err)
	}
	var refunds, net, gross, discount int64
	for _, per := range a.Periods {
		for _, s := range per.Sales {
			refunds, net, gross, discount = refunds+s.RefundsCents, net+s.NetCents, gross+s.GrossCents, discount+s.DiscountCents
		}
	}
	const want = 2*300 - 20 // two units less their share of the 30 off
	if refunds != want || gross != 900 || net != gross-discount-want {
		t.Errorf("analytics refunds %d net %d gross %d discount %d, want refunds %d of 900 and net net of them",
			refunds, net, gross, discount, want)
	}
	if len(a.Products) != 1 || a.Products[0].RefundsCents != want {
		t.Errorf("products %+v, want one refunding %d", a.Products, want)
	}
}
