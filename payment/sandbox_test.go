package payment_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/payment"
	"shopflow/store/storetest"
)

func newSandbox(t *testing.T) *payment.Sandbox {
	t.Helper()
	return &payment.Sandbox{Pool: storetest.NewPool(t)}
}

func chargeFor(orderID, paymentMethod string) payment.ChargeRequest {
	return payment.ChargeRequest{
		OrderID:        orderID,
		AmountCents:    1999,
		Currency:       "USD",
		PaymentMethod:  paymentMethod,
		IdempotencyKey: orderID + ":charge",
	}
}

// mustCharge charges and fails the test on error.
func mustCharge(t *testing.T, p payment.Provider, req payment.ChargeRequest) payment.Intent {
	t.Helper()
	in, err := p.Charge(context.Background(), req)
	if err != nil {
		t.Fatalf("Charge(%+v): %v", req, err)
	}
	return in
}

func TestSandboxTestCards(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	ctx := context.Background()
	for _, tc := range []struct {
		method      string
		status      payment.Status
		declineCode string
	}{
		{"pm_card_visa", payment.StatusSucceeded, ""},
		{"pm_card_mastercard", payment.StatusSucceeded, ""},
		{"pm_card_amex", payment.StatusSucceeded, ""},
		{"pm_card_visa_chargeDeclined", payment.StatusFailed, "card_declined"},
		{"pm_card_chargeDeclinedInsufficientFunds", payment.StatusFailed, "insufficient_funds"},
		{"pm_card_visa_chargeDeclinedLostCard", payment.StatusFailed, "lost_card"},
		{"pm_card_authenticationRequired", payment.StatusRequiresAction, ""},
	} {
		t.Run(tc.method, func(t *testing.T) {
			in := mustCharge(t, sb, chargeFor("ord_"+tc.method, tc.method))
			want := payment.Intent{ID: in.ID, Status: tc.status, AmountCents: 1999, Currency: "USD", DeclineCode: tc.declineCode}
			if in != want {
				t.Errorf("Charge = %+v, want %+v", in, want)
			}
			if !strings.HasPrefix(in.ID, "pi_sandbox_") || len(in.ID) < len("pi_sandbox_")+16 {
				t.Errorf("intent id %q does not look like pi_sandbox_<random>", in.ID)
			}
			got, err := sb.Get(ctx, in.ID)
			if err != nil || got != in {
				t.Errorf("Get = %+v, %v; want %+v", got, err, in)
			}
			var orderID string
			if err := sb.Pool.QueryRow(ctx, `SELECT metadata->>'order_id' FROM sandbox_intents WHERE id = $1`, in.ID).Scan(&orderID); err != nil || orderID != "ord_"+tc.method {
				t.Errorf("metadata order_id = %q, %v; want %q", orderID, err, "ord_"+tc.method)
			}
		})
	}
}

func TestSandboxChargeRefusesInvalidRequests(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	for _, tc := range []struct {
		name   string
		change func(*payment.ChargeRequest)
	}{
		{"zero amount", func(r *payment.ChargeRequest) { r.AmountCents = 0 }},
		{"negative amount", func(r *payment.ChargeRequest) { r.AmountCents = -5 }},
		{"lower-case currency", func(r *payment.ChargeRequest) { r.Currency = "usd" }},
		{"two-letter currency", func(r *payment.ChargeRequest) { r.Currency = "US" }},
		{"four-letter currency", func(r *payment.ChargeRequest) { r.Currency = "USDX" }},
		{"no currency", func(r *payment.ChargeRequest) { r.Currency = "" }},
		{"no idempotency key", func(r *payment.ChargeRequest) { r.IdempotencyKey = "" }},
		{"idempotency key over 255 bytes", func(r *payment.ChargeRequest) { r.IdempotencyKey = strings.Repeat("k", 256) }},
		{"no payment method", func(r *payment.ChargeRequest) { r.PaymentMethod = "" }},
		{"not a test card", func(r *payment.ChargeRequest) { r.PaymentMethod = "tok_visa" }},
		{"bare pm_card_ prefix", func(r *payment.ChargeRequest) { r.PaymentMethod = "pm_card_" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := chargeFor("ord_invalid", "pm_card_visa")
			tc.change(&req)
			in, err := sb.Charge(context.Background(), req)
			if !errors.Is(err, payment.ErrInvalidRequest) {
				t.Errorf("Charge(%+v) = %+v, %v; want ErrInvalidRequest", req, in, err)
			}
		})
	}
	if n := countIntents(t, sb.Pool); n != 0 {
		t.Errorf("%d intents stored after refused charges, want 0", n)
	}
}

func TestSandboxChargeIsIdempotent(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	ctx := context.Background()
	first := mustCharge(t, sb, chargeFor("ord_1", "pm_card_authenticationRequired"))
	again := mustCharge(t, sb, chargeFor("ord_1", "pm_card_authenticationRequired"))
	if again != first {
		t.Errorf("second Charge with the same key = %+v, want %+v", again, first)
	}
	other := mustCharge(t, sb, chargeFor("ord_2", "pm_card_authenticationRequired"))
	if other.ID == first.ID {
		t.Errorf("another key got the same intent %s", other.ID)
	}

	// The key stands for the first request: its answer does not move with the intent's state,
	// and a different request under it is refused, as Stripe does.
	completed, err := sb.Complete(ctx, first.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if again := mustCharge(t, sb, chargeFor("ord_1", "pm_card_authenticationRequired")); again != completed {
		t.Errorf("Charge after Complete = %+v, want the intent as it is now, %+v", again, completed)
	}
	for name, change := range map[string]func(*payment.ChargeRequest){
		"amount":         func(r *payment.ChargeRequest) { r.AmountCents = 5000 },
		"currency":       func(r *payment.ChargeRequest) { r.Currency = "EUR" },
		"payment method": func(r *payment.ChargeRequest) { r.PaymentMethod = "pm_card_visa" },
		"order":          func(r *payment.ChargeRequest) { r.OrderID = "ord_other" },
	} {
		changed := chargeFor("ord_1", "pm_card_authenticationRequired")
		change(&changed)
		if in, err := sb.Charge(ctx, changed); !errors.Is(err, payment.ErrInvalidRequest) {
			t.Errorf("Charge with a reused key and another %s = %+v, %v; want ErrInvalidRequest", name, in, err)
		}
	}
	if n := countIntents(t, sb.Pool); n != 2 {
		t.Errorf("%d intents stored, want 2", n)
	}
}

func TestSandboxConcurrentChargesWithOneKeyMakeOneIntent(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	const callers = 20
	var (
		start   = make(chan struct{})
		wg      sync.WaitGroup
		intents [callers]payment.Intent
		errs    [callers]error
	)
	for i := range callers {
		wg.Go(func() {
			<-start
			intents[i], errs[i] = sb.Charge(context.Background(), chargeFor("ord_race", "pm_card_visa"))
		})
	}
	close(start)
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if intents[i] != intents[0] {
			t.Errorf("caller %d got %+v, caller 0 got %+v", i, intents[i], intents[0])
		}
	}
	if n := countIntents(t, sb.Pool); n != 1 {
		t.Errorf("%d intents stored, want 1", n)
	}
}

func TestSandboxComplete(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	ctx := context.Background()

	passed := mustCharge(t, sb, chargeFor("ord_pass", "pm_card_authenticationRequired"))
	for range 2 { // the second call finds it already succeeded
		in, err := sb.Complete(ctx, passed.ID, true)
		if err != nil || in.Status != payment.StatusSucceeded || in.DeclineCode != "" {
			t.Errorf("Complete(succeed) = %+v, %v; want succeeded", in, err)
		}
	}
	if in, err := sb.Complete(ctx, passed.ID, false); !errors.Is(err, payment.ErrInvalidRequest) {
		t.Errorf("Complete(fail) on a succeeded intent = %+v, %v; want ErrInvalidRequest", in, err)
	}

	failed := mustCharge(t, sb, chargeFor("ord_fail", "pm_card_authenticationRequired"))
	for range 2 {
		in, err := sb.Complete(ctx, failed.ID, false)
		if err != nil || in.Status != payment.StatusFailed || in.DeclineCode != "authentication_failed" {
			t.Errorf("Complete(fail) = %+v, %v; want failed with authentication_failed", in, err)
		}
	}
	if in, err := sb.Complete(ctx, failed.ID, true); !errors.Is(err, payment.ErrInvalidRequest) {
		t.Errorf("Complete(succeed) on a failed intent = %+v, %v; want ErrInvalidRequest", in, err)
	}

	// A decline is final for a different reason than a failed authentication.
	declined := mustCharge(t, sb, chargeFor("ord_declined", "pm_card_visa_chargeDeclined"))
	if in, err := sb.Complete(ctx, declined.ID, false); !errors.Is(err, payment.ErrInvalidRequest) {
		t.Errorf("Complete(fail) on a declined intent = %+v, %v; want ErrInvalidRequest", in, err)
	}
	canceled := mustCharge(t, sb, chargeFor("ord_canceled", "pm_card_authenticationRequired"))
	if _, err := sb.Cancel(ctx, canceled.ID, "ord_canceled:cancel"); err != nil {
		t.Fatal(err)
	}
	for _, succeed := range []bool{true, false} {
		if in, err := sb.Complete(ctx, canceled.ID, succeed); !errors.Is(err, payment.ErrInvalidRequest) {
			t.Errorf("Complete(%v) on a canceled intent = %+v, %v; want ErrInvalidRequest", succeed, in, err)
		}
	}
}

func TestSandboxCancel(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	ctx := context.Background()

	waiting := mustCharge(t, sb, chargeFor("ord_wait", "pm_card_authenticationRequired"))
	for range 2 { // canceling a canceled intent is a no-op
		in, err := sb.Cancel(ctx, waiting.ID, "ord_wait:cancel")
		if err != nil || in.Status != payment.StatusCanceled || in.ID != waiting.ID {
			t.Errorf("Cancel = %+v, %v; want %s canceled", in, err, waiting.ID)
		}
	}

	succeeded := mustCharge(t, sb, chargeFor("ord_paid", "pm_card_visa"))
	if in, err := sb.Cancel(ctx, succeeded.ID, "ord_paid:cancel"); !errors.Is(err, payment.ErrAlreadySucceeded) {
		t.Errorf("Cancel of a succeeded intent = %+v, %v; want ErrAlreadySucceeded", in, err)
	}
	if in, _ := sb.Get(ctx, succeeded.ID); in.Status != payment.StatusSucceeded {
		t.Errorf("after a refused Cancel the intent is %+v, want it still succeeded", in)
	}

	declined := mustCharge(t, sb, chargeFor("ord_declined", "pm_card_chargeDeclinedInsufficientFunds"))
	in, err := sb.Cancel(ctx, declined.ID, "ord_declined:cancel")
	if err != nil || in != declined {
		t.Errorf("Cancel of a failed intent = %+v, %v; want it unchanged, %+v", in, err, declined)
	}
}

// Completing and canceling one waiting intent at once: exactly one wins, and the loser is told
// why, so a shopper is never both charged and shown a canceled order.
func TestSandboxCompleteRacesCancel(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	ctx := context.Background()
	for i := range 10 {
		waiting := mustCharge(t, sb, chargeFor(fmt.Sprintf("ord_race_%d", i), "pm_card_authenticationRequired"))
		var (
			start                  = make(chan struct{})
			wg                     sync.WaitGroup
			completed, canceled    payment.Intent
			completeErr, cancelErr error
		)
		wg.Go(func() { <-start; completed, completeErr = sb.Complete(ctx, waiting.ID, true) })
		wg.Go(func() { <-start; canceled, cancelErr = sb.Cancel(ctx, waiting.ID, "k") })
		close(start)
		wg.Wait()
		final, err := sb.Get(ctx, waiting.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch final.Status {
		case payment.StatusSucceeded:
			if completeErr != nil || completed.Status != payment.StatusSucceeded || !errors.Is(cancelErr, payment.ErrAlreadySucceeded) {
				t.Errorf("complete won: Complete = %+v, %v; Cancel = %+v, %v", completed, completeErr, canceled, cancelErr)
			}
		case payment.StatusCanceled:
			if cancelErr != nil || canceled.Status != payment.StatusCanceled || !errors.Is(completeErr, payment.ErrInvalidRequest) {
				t.Errorf("cancel won: Complete = %+v, %v; Cancel = %+v, %v", completed, completeErr, canceled, cancelErr)
			}
		default:
			t.Errorf("after Complete and Cancel the intent is %+v", final)
		}
	}
}

func TestSandboxRefund(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	ctx := context.Background()

	paid := mustCharge(t, sb, chargeFor("ord_paid", "pm_card_visa"))
	want := paid
	want.Refunded = true
	for range 2 { // refunding twice is a no-op
		in, err := sb.Refund(ctx, paid.ID, "ord_paid:refund")
		if err != nil || in != want {
			t.Errorf("Refund = %+v, %v; want %+v", in, err, want)
		}
	}
	if in, err := sb.Get(ctx, paid.ID); err != nil || in != want {
		t.Errorf("Get after Refund = %+v, %v; want %+v", in, err, want)
	}
	if _, err := sb.Cancel(ctx, paid.ID, "ord_paid:cancel"); !errors.Is(err, payment.ErrAlreadySucceeded) {
		t.Errorf("Cancel of a refunded intent: %v, want ErrAlreadySucceeded", err)
	}

	canceled := mustCharge(t, sb, chargeFor("ord_canceled", "pm_card_authenticationRequired"))
	if _, err := sb.Cancel(ctx, canceled.ID, "ord_canceled:cancel"); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"pm_card_authenticationRequired", "pm_card_visa_chargeDeclined"} {
		in := mustCharge(t, sb, chargeFor("ord_"+method, method))
		for _, id := range []string{in.ID, canceled.ID} {
			if got, err := sb.Refund(ctx, id, "refund"); !errors.Is(err, payment.ErrInvalidRequest) {
				t.Errorf("Refund of %s = %+v, %v; want ErrInvalidRequest", id, got, err)
			}
			if got, _ := sb.Get(ctx, id); got.Refunded {
				t.Errorf("refused Refund marked %+v refunded", got)
			}
		}
	}
}

func TestSandboxUnknownIntent(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	ctx := context.Background()
	mustCharge(t, sb, chargeFor("ord_1", "pm_card_authenticationRequired"))
	calls := map[string]func(id string) (payment.Intent, error){
		"Get":      func(id string) (payment.Intent, error) { return sb.Get(ctx, id) },
		"Cancel":   func(id string) (payment.Intent, error) { return sb.Cancel(ctx, id, "k") },
		"Refund":   func(id string) (payment.Intent, error) { return sb.Refund(ctx, id, "k") },
		"Complete": func(id string) (payment.Intent, error) { return sb.Complete(ctx, id, true) },
	}
	for name, call := range calls {
		if in, err := call("pi_sandbox_nosuchintent"); !errors.Is(err, payment.ErrNotFound) {
			t.Errorf("%s(unknown id) = %+v, %v; want ErrNotFound", name, in, err)
		}
		if in, err := call(""); !errors.Is(err, payment.ErrInvalidRequest) {
			t.Errorf("%s(empty id) = %+v, %v; want ErrInvalidRequest", name, in, err)
		}
	}
}

// A worker restart loses everything in memory; the sandbox keeps nothing there.
func TestSandboxSurvivesRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.NewDatabase(t)

	before, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	waiting := mustCharge(t, &payment.Sandbox{Pool: before}, chargeFor("ord_1", "pm_card_authenticationRequired"))
	before.Close()

	after, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(after.Close)
	sb := &payment.Sandbox{Pool: after}
	if in, err := sb.Get(ctx, waiting.ID); err != nil || in != waiting {
		t.Errorf("Get after restart = %+v, %v; want %+v", in, err, waiting)
	}
	if in := mustCharge(t, sb, chargeFor("ord_1", "pm_card_authenticationRequired")); in != waiting {
		t.Errorf("retried Charge after restart = %+v, want %+v", in, waiting)
	}
	if in, err := sb.Complete(ctx, waiting.ID, true); err != nil || in.Status != payment.StatusSucceeded {
		t.Errorf("Complete after restart = %+v, %v; want succeeded", in, err)
	}
}

func TestSandboxName(t *testing.T) {
	t.Parallel()
	if got := (&payment.Sandbox{}).Name(); got != "sandbox" {
		t.Errorf("Name() = %q, want sandbox", got)
	}
}

func countIntents(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM sandbox_intents`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
