package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"shopflow/activities"
	"shopflow/payment"
	"shopflow/store"
	"shopflow/store/storetest"
)

// flakyProvider fails partial refunds with a transport error while down is set.
type flakyProvider struct {
	*payment.Sandbox
	down bool
	keys []string
}

func (p *flakyProvider) RefundAmount(ctx context.Context, intentID string, amount int64, key string) (payment.RefundResult, error) {
	p.keys = append(p.keys, key)
	if p.down {
		return payment.RefundResult{}, errors.New("connection reset")
	}
	return p.Sandbox.RefundAmount(ctx, intentID, amount, key)
}

// paidSandboxOrder places an order of one product (3 units at 500) paid through the sandbox
// with paymentMethod, and returns it with its intent.
func paidSandboxOrder(t *testing.T, st *store.Store, sb *payment.Sandbox, paymentMethod string) (store.Order, string) {
	t.Helper()
	ctx := context.Background()
	seller, err := st.CreateUser(ctx, store.NewUser{Email: "s@example.com", PasswordHash: "x", Role: store.RoleSeller, StoreName: "S"})
	if err != nil {
		t.Fatal(err)
	}
	customer, err := st.CreateUser(ctx, store.NewUser{Email: "c@example.com", PasswordHash: "x", Role: store.RoleCustomer})
	if err != nil {
		t.Fatal(err)
	}
	var product int64
	if err := st.Pool.QueryRow(ctx, `WITH c AS (INSERT INTO categories (name, slug) VALUES ('Home', 'home') RETURNING id)
		INSERT INTO products (seller_id, category_id, name, price_cents, currency) SELECT $1, id, 'Lamp', 500, 'USD' FROM c RETURNING id`,
		*seller.SellerID).Scan(&product); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `INSERT INTO inventory (product_id, on_hand) VALUES ($1, 10)`, product); err != nil {
		t.Fatal(err)
	}
	o, _, err := st.CreateOrder(ctx, store.NewOrder{CustomerID: customer.ID, IdempotencyKey: "k", PaymentMethod: paymentMethod,
		Items:           []store.OrderItem{{ProductID: product, Quantity: 3}},
		ShippingAddress: store.ShippingAddress{Name: "C", Line1: "1 Main St", City: "Berlin", PostalCode: "10115", Country: "DE"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	in, err := sb.Charge(ctx, payment.ChargeRequest{OrderID: o.ID, AmountCents: o.TotalCents, Currency: o.Currency,
		PaymentMethod: paymentMethod, IdempotencyKey: o.ID + ":charge"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RecordPayment(ctx, o.ID, store.PaymentRecord{Provider: sb.Name(), IntentID: in.ID, Status: "succeeded",
		AmountCents: in.AmountCents, Currency: in.Currency}); err != nil {
		t.Fatal(err)
	}
	if res, err := st.ConfirmOrder(ctx, o.ID); err != nil || !res.Placed {
		t.Fatalf("confirm: %+v %v", res, err)
	}
	return o, in.ID
}

// TestIssueRefundRefusedThenRetried: the provider's refusal is a failed result (not an error);
// a transport failure is an error that keeps the attempt (and its key); the retry after the
// refusal uses a new key and succeeds.
func TestIssueRefundRefusedThenRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	sb := &payment.Sandbox{Pool: st.Pool}
	o, intent := paidSandboxOrder(t, st, sb, "pm_card_refundFail")
	p := &flakyProvider{Sandbox: sb}
	a := &activities.Refunds{Store: st, Payments: p}
	created, err := a.CreateRefund(ctx, activities.CreateRefundInput{OrderID: o.ID, Kind: store.RefundForCancel, Key: "cancel:x",
		Lines: []store.RefundLine{{LineNo: 1, Quantity: 2}}})
	if err != nil || created.AmountCents != 1000 || created.Status != store.RefundPending {
		t.Fatalf("create: %+v %v", created, err)
	}
	issue := func() activities.IssueRefundActivityResult {
		t.Helper()
		res, err := a.IssueRefund(ctx, activities.IssueRefundActivityInput{RefundID: created.RefundID})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := issue(); res.Status != store.RefundFailed || res.FailureReason != payment.SandboxRefundDeclined {
		t.Fatalf("first attempt: %+v, want failed %s", res, payment.SandboxRefundDeclined)
	}
	if err := sb.SetRefuseRefunds(ctx, intent, false); err != nil {
		t.Fatal(err)
	}
	p.down = true
	if _, err := a.IssueRefund(ctx, activities.IssueRefundActivityInput{RefundID: created.RefundID}); err == nil {
		t.Fatal("a transport failure was not an error")
	}
	p.down = false
	if res := issue(); res.Status != store.RefundSucceeded || res.AmountCents != 1000 {
		t.Fatalf("retry: %+v", res)
	}
	if res := issue(); res.Status != store.RefundSucceeded {
		t.Fatalf("issuing a succeeded refund again: %+v", res)
	}
	want := []string{"refund:" + created.RefundID, "refund:" + created.RefundID + ":2", "refund:" + created.RefundID + ":2"}
	if len(p.keys) != len(want) || p.keys[0] != want[0] || p.keys[1] != want[1] || p.keys[2] != want[2] {
		t.Errorf("provider keys %v, want %v", p.keys, want)
	}
	var refunded int64
	if err := st.Pool.QueryRow(ctx, `SELECT refunded_cents FROM sandbox_intents WHERE id = $1`, intent).Scan(&refunded); err != nil || refunded != 1000 {
		t.Errorf("sandbox refunded %d (%v), want 1000", refunded, err)
	}
	_, err = a.CreateRefund(ctx, activities.CreateRefundInput{OrderID: o.ID, Kind: store.RefundForCancel, Key: "cancel:y",
		Lines: []store.RefundLine{{LineNo: 1, Quantity: 2}}})
	if err == nil || !isNonRetryable(err) {
		t.Errorf("refunding more units than left: %v, want a non-retryable RefundRefused", err)
	}
}

func isNonRetryable(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable() && appErr.Type() == activities.ErrTypeRefundRefused
}
