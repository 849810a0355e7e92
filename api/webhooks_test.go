package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"shopflow/config"
	"shopflow/payment"
	"shopflow/store"
	"shopflow/workflows"
)

const testWebhookSecret = "whsec_test_0123456789abcdef"

func withWebhookSecret(c *config.Config) { c.StripeWebhookSecret = testWebhookSecret }

// stripeEvent is a Stripe webhook payload about a payment intent.
func stripeEvent(t testing.TB, eventType, intentID, orderID string) []byte {
	t.Helper()
	metadata := map[string]string{}
	if orderID != "" {
		metadata["order_id"] = orderID
	}
	b, err := json.Marshal(map[string]any{
		"id": "evt_" + randHex(6), "object": "event", "type": eventType, "api_version": "2020-08-27",
		"created": time.Now().Unix(), "livemode": false,
		"data": map[string]any{"object": map[string]any{"id": intentID, "object": "payment_intent", "metadata": metadata}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// postWebhook sends payload with the given Stripe-Signature header ("" sends none).
func (e *testEnv) postWebhook(payload []byte, signature string) response {
	e.t.Helper()
	h := map[string]string{}
	if signature != "" {
		h["Stripe-Signature"] = signature
	}
	return e.do(req{Method: "POST", Path: "/api/v1/webhooks/stripe", Body: payload, Header: h})
}

func (e *testEnv) paymentSignal(orderID string) (workflows.PaymentResult, bool) {
	e.Sagas.mu.Lock()
	defer e.Sagas.mu.Unlock()
	r, ok := e.Sagas.Payments[orderID]
	return r, ok
}

// TestStripeWebhook proves a genuine payment event reaches the order's saga, whichever way the
// order is found, and that a forged, tampered or unsigned one reaches nothing.
func TestStripeWebhook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withWebhookSecret)
	seller := e.newSeller()
	buyer := e.newCustomer()
	p := e.fixtureProduct(seller, productFixture{})
	newOrder := func() string { return e.checkoutOrder(buyer, coItem(p, 1)).ID }
	sign := func(b []byte) string { return payment.SignStripeWebhook(b, testWebhookSecret, time.Time{}) }

	byMetadata, byIntent, forged, tampered, unsigned, stale, ignored, pending := newOrder(), newOrder(), newOrder(), newOrder(), newOrder(), newOrder(), newOrder(), newOrder()
	if err := e.Store.RecordPayment(context.Background(), byIntent, store.PaymentRecord{Provider: "stripe", IntentID: "pi_by_intent",
		Status: "requires_action", AmountCents: 1000, Currency: "USD"}); err != nil {
		t.Fatal(err)
	}
	tamperedBody := stripeEvent(t, "payment_intent.succeeded", "pi_tampered", tampered)
	staleBody := stripeEvent(t, "payment_intent.succeeded", "pi_stale", stale)
	forgedBody := stripeEvent(t, "payment_intent.succeeded", "pi_forged", forged)
	// The attacker keeps Stripe's signature but points the event at another intent.
	attackerBody := bytes.Replace(tamperedBody, []byte("pi_tampered"), []byte("pi_attacker"), 1)

	cases := []struct {
		name    string
		payload []byte
		sig     string
		status  int
		order   string                   // whose saga the event is for
		signal  *workflows.PaymentResult // what it must be told; nil: nothing
	}{
		{"a succeeded payment found by metadata.order_id", stripeEvent(t, "payment_intent.succeeded", "pi_meta", byMetadata), "", 200, byMetadata,
			&workflows.PaymentResult{IntentID: "pi_meta", Status: "succeeded"}},
		{"a failed payment found by its intent", stripeEvent(t, "payment_intent.payment_failed", "pi_by_intent", ""), "", 200, byIntent,
			&workflows.PaymentResult{IntentID: "pi_by_intent", Status: "failed"}},
		{"a forged signature is refused", forgedBody, payment.SignStripeWebhook(forgedBody, "whsec_someone_else", time.Time{}), 400, forged, nil},
		{"a tampered body is refused", attackerBody, sign(tamperedBody), 400, tampered, nil},
		{"a malformed signature header is refused", forgedBody, "t=1,v1=zz", 400, forged, nil},
		{"a missing signature is refused", stripeEvent(t, "payment_intent.succeeded", "pi_unsigned", unsigned), "-", 400, unsigned, nil},
		{"a stale signature is refused", staleBody, payment.SignStripeWebhook(staleBody, testWebhookSecret, time.Now().Add(-time.Hour)), 400, stale, nil},
		{"an event type we do not act on is acknowledged", stripeEvent(t, "charge.refunded", "pi_ignored", ignored), "", 200, ignored, nil},
		{"requires_action is a step, not an outcome", stripeEvent(t, "payment_intent.requires_action", "pi_pending", pending), "", 200, pending, nil},
		{"an unknown order is acknowledged", stripeEvent(t, "payment_intent.succeeded", "pi_not_ours", "0b7e6a8c-3f1e-4b8a-9d2a-2c7f4f0e9a11"), "", 200, "0b7e6a8c-3f1e-4b8a-9d2a-2c7f4f0e9a11", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := coEnv(e, t)
			sig := tc.sig
			switch sig {
			case "":
				sig = sign(tc.payload)
			case "-":
				sig = ""
			}
			res := e.postWebhook(tc.payload, sig)
			if res.Code != tc.status {
				t.Fatalf("%d %s, want %d", res.Code, res.Body, tc.status)
			}
			if tc.status == 200 && string(res.Body) != `{"received":true}` {
				t.Errorf("body %s", res.Body)
			}
			if tc.status == 400 && res.ErrorCode(t) != "invalid" {
				t.Errorf("body %s", res.Body)
			}
			got, signaled := e.paymentSignal(tc.order)
			switch {
			case tc.signal == nil && signaled:
				t.Errorf("saga told %+v", got)
			case tc.signal != nil && got != *tc.signal:
				t.Errorf("saga told %+v (signaled %v), want %+v", got, signaled, *tc.signal)
			}
		})
	}
}

// TestStripeWebhookEndedSaga: a result for a saga that has ended is acknowledged (the saga
// refunds late payments itself), and without a configured secret nothing is trusted.
func TestStripeWebhookEndedSaga(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withWebhookSecret)
	e.Sagas.NotRunning = true
	seller := e.newSeller()
	buyer := e.newCustomer()
	id := e.checkoutOrder(buyer, coItem(e.fixtureProduct(seller, productFixture{}), 1)).ID
	body := stripeEvent(t, "payment_intent.succeeded", "pi_late", id)
	e.mustDo(http.StatusOK, req{Method: "POST", Path: "/api/v1/webhooks/stripe", Body: body,
		Header: map[string]string{"Stripe-Signature": payment.SignStripeWebhook(body, testWebhookSecret, time.Time{})}})

	unconfigured := newEnv(t)
	res := unconfigured.mustDo(http.StatusBadRequest, req{Method: "POST", Path: "/api/v1/webhooks/stripe", Body: body,
		Header: map[string]string{"Stripe-Signature": payment.SignStripeWebhook(body, "", time.Time{})}})
	if res.ErrorCode(t) != "invalid" {
		t.Errorf("no secret configured: %s", res.Body)
	}
}

// TestDevPaymentComplete completes sandbox payments that need 3-D Secure: only the order's
// customer or an admin may, and the outcome reaches the order's saga.
func TestDevPaymentComplete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller := e.newSeller()
	buyer, other, admin := e.newCustomer(), e.newCustomer(), e.newAdmin()
	p := e.fixtureProduct(seller, productFixture{PriceCents: 1200})
	ctx := context.Background()
	// awaitingAction checks out and charges like the saga does, with a card that needs action.
	awaitingAction := func() (orderID, intentID string) {
		o := e.checkoutOrder(buyer, coItem(p, 1))
		in, err := e.Server.Sandbox.Charge(ctx, payment.ChargeRequest{OrderID: o.ID, AmountCents: o.TotalCents, Currency: o.Currency,
			PaymentMethod: "pm_card_authenticationRequired", IdempotencyKey: o.ID + ":charge"})
		if err != nil || in.Status != payment.StatusRequiresAction {
			t.Fatalf("charge: %+v %v", in, err)
		}
		if err := e.Store.RecordPayment(ctx, o.ID, store.PaymentRecord{Provider: "sandbox", IntentID: in.ID,
			Status: string(in.Status), AmountCents: in.AmountCents, Currency: in.Currency}); err != nil {
			t.Fatal(err)
		}
		return o.ID, in.ID
	}
	mine, myIntent := awaitingAction()
	forAdmin, adminIntent := awaitingAction()
	path := func(intent string) string { return "/api/v1/dev/payments/" + intent + "/complete" }
	succeed := map[string]any{"succeed": true}

	cases := []struct {
		name   string
		token  string
		intent string
		body   any
		status int
		order  string // whose saga must have been told ...
		want   string // ... this status ("": nothing)
	}{
		{"no token is 401", "", myIntent, succeed, 401, mine, ""},
		{"a seller is forbidden", seller.Token, myIntent, succeed, 403, mine, ""},
		{"another customer gets 404", other.Token, myIntent, succeed, 404, mine, ""},
		{"an unknown intent is 404", buyer.Token, "pi_sandbox_nope", succeed, 404, mine, ""},
		{"a malformed intent id is 400", buyer.Token, "pi-1;drop", succeed, 400, mine, ""},
		{"no body is 400", buyer.Token, myIntent, nil, 400, mine, ""},
		{"succeed must be a boolean", buyer.Token, myIntent, map[string]any{"succeed": "yes"}, 400, mine, ""},
		{"succeed is required", buyer.Token, myIntent, map[string]any{}, 422, mine, ""},
		{"its customer passes 3-D Secure", buyer.Token, myIntent, succeed, 200, mine, "succeeded"},
		{"passing again is a no-op", buyer.Token, myIntent, succeed, 200, mine, "succeeded"},
		{"failing a succeeded payment is a conflict", buyer.Token, myIntent, map[string]any{"succeed": false}, 409, mine, "succeeded"},
		{"an admin fails another customer's payment", admin.Token, adminIntent, map[string]any{"succeed": false}, 200, forAdmin, "failed"},
	}
	// The order shows the payment it waits for.
	if o := e.orderAs(buyer.Token, mine); o.Payment == nil || o.Payment.IntentID != myIntent || o.Payment.Provider != "sandbox" ||
		o.Payment.Status != "requires_action" || o.Payment.AmountCents != 1200 {
		t.Errorf("order payment: %+v", o.Payment)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := coEnv(e, t).mustDo(tc.status, req{Method: "POST", Path: path(tc.intent), Token: tc.token, Body: tc.body})
			if tc.status == 200 {
				var out struct {
					IntentID string `json:"intent_id"`
					Status   string `json:"status"`
				}
				res.JSON(t, &out)
				if out.IntentID != tc.intent || out.Status != tc.want {
					t.Errorf("answer %+v", out)
				}
			}
			got, signaled := e.paymentSignal(tc.order)
			if (tc.want == "") == signaled || (signaled && (got.Status != tc.want || got.IntentID == "")) {
				t.Errorf("saga told %+v (signaled %v), want status %q", got, signaled, tc.want)
			}
		})
	}
}
