package payment_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v79"

	"shopflow/payment"
	"shopflow/store/storetest"
)

// stripeMockURLEnv names a running stripe-mock to test against instead of starting one.
const stripeMockURLEnv = "SHOPFLOW_TEST_STRIPE_URL"

// stripeMockAt is the stripe-mock the tests use, or why there is none; set once by TestMain.
var stripeMockAt struct {
	url string
	err error
}

func TestMain(m *testing.M) {
	stop := startStripeMock()
	code := m.Run()
	stop()
	storetest.DropTemplate()
	os.Exit(code)
}

// stripeMock returns the stripe-mock URL, failing the test when there is none: a missing tool
// must not turn into a green run that tested nothing.
func stripeMock(t *testing.T) string {
	t.Helper()
	if stripeMockAt.err != nil {
		t.Fatalf("no stripe-mock: %v\nrun scripts/install-stripe-mock.sh, or set %s to a running stripe-mock", stripeMockAt.err, stripeMockURLEnv)
	}
	return stripeMockAt.url
}

// startStripeMock points the tests at $SHOPFLOW_TEST_STRIPE_URL, or else starts
// <module root>/bin/stripe-mock on free local ports, and returns what stops it.
func startStripeMock() (stop func()) {
	stop = func() {}
	if u := os.Getenv(stripeMockURLEnv); u != "" {
		stripeMockAt.url = u
		return stop
	}
	root, err := moduleRoot()
	if err != nil {
		stripeMockAt.err = err
		return stop
	}
	bin := filepath.Join(root, "bin", "stripe-mock")
	if _, err := os.Stat(bin); err != nil {
		stripeMockAt.err = fmt.Errorf("%s is missing", bin)
		return stop
	}
	httpAddr, err := freeAddr()
	if err != nil {
		stripeMockAt.err = err
		return stop
	}
	httpsAddr, err := freeAddr()
	if err != nil {
		stripeMockAt.err = err
		return stop
	}
	var out syncBuffer
	cmd := exec.Command(bin, "-http-addr", httpAddr, "-https-addr", httpsAddr)
	cmd.Stdout, cmd.Stderr = &out, &out
	dieWithTests(cmd)
	if err := cmd.Start(); err != nil {
		stripeMockAt.err = fmt.Errorf("start %s: %w", bin, err)
		return stop
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop = func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	if err := awaitListening(httpAddr, exited, 30*time.Second); err != nil {
		stop()
		stripeMockAt.err = fmt.Errorf("%s: %w; its output:\n%s", bin, err, out.String())
		return func() {}
	}
	stripeMockAt.url = "http://" + httpAddr
	return stop
}

// awaitListening dials addr until it accepts a connection, the process exits, or the time is up.
func awaitListening(addr string, exited <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after %s: %w", addr, limit, err)
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before listening on %s", addr)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory")
		}
		dir = parent
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// syncBuffer collects a child process's output while the test may read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// sentRequest is one request the Stripe provider sent.
type sentRequest struct {
	Method, Path string
	Header       http.Header
	Form         url.Values // body of a POST, query of a GET
}

// recorder is an http.RoundTripper that keeps every request it passes on.
type recorder struct {
	mu   sync.Mutex
	sent []sentRequest
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	s := sentRequest{Method: req.Method, Path: req.URL.Path, Header: req.Header.Clone(), Form: req.URL.Query()}
	if req.Method == http.MethodPost && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		if s.Form, err = url.ParseQuery(string(body)); err != nil {
			return nil, fmt.Errorf("request body is not a form: %w", err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.sent = append(r.sent, s)
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recorder) requests() []sentRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sentRequest(nil), r.sent...)
}

// newStripe returns a Stripe provider talking to backendURL, and the record of its requests.
func newStripe(backendURL string) (*payment.Stripe, *recorder) {
	rec := &recorder{}
	return payment.NewStripe(payment.StripeConfig{
		SecretKey:  "sk_test_123",
		BackendURL: backendURL,
		HTTPClient: &http.Client{Transport: rec, Timeout: 10 * time.Second},
	}), rec
}

func onlyRequest(t *testing.T, rec *recorder) sentRequest {
	t.Helper()
	sent := rec.requests()
	if len(sent) != 1 {
		t.Fatalf("sent %d requests, want 1: %+v", len(sent), sent)
	}
	return sent[0]
}

func TestStripeChargeAgainstStripeMock(t *testing.T) {
	t.Parallel()
	st, rec := newStripe(stripeMock(t))
	in, err := st.Charge(context.Background(), chargeFor("ord_1", "pm_card_visa"))
	if err != nil {
		t.Fatalf("Charge: %v", err)
	}

	req := onlyRequest(t, rec)
	if req.Method != http.MethodPost || req.Path != "/v1/payment_intents" {
		t.Errorf("sent %s %s, want POST /v1/payment_intents", req.Method, req.Path)
	}
	if got := req.Header.Get("Idempotency-Key"); got != "ord_1:charge" {
		t.Errorf("Idempotency-Key = %q, want ord_1:charge", got)
	}
	want := url.Values{
		"amount":                  {"1999"},
		"currency":                {"usd"},
		"payment_method":          {"pm_card_visa"},
		"confirm":                 {"true"},
		"metadata[order_id]":      {"ord_1"},
		"payment_method_types[0]": {"card"},
	}
	if fmt.Sprint(req.Form) != fmt.Sprint(want) {
		t.Errorf("sent form %v, want %v", req.Form, want)
	}

	// stripe-mock reflects amount and currency but answers every create with its canned
	// requires_payment_method intent, which reads as a decline without a code.
	if !strings.HasPrefix(in.ID, "pi_") || in.AmountCents != 1999 || in.Currency != "USD" ||
		in.Status != payment.StatusFailed || in.DeclineCode != "" || in.Refunded {
		t.Errorf("Charge = %+v, want a pi_ intent of 1999 USD, failed without decline code", in)
	}
}

func TestStripeGetCancelRefundAgainstStripeMock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, rec := newStripe(stripeMock(t))

	in, err := st.Get(ctx, "pi_123")
	if err != nil || in.ID != "pi_123" {
		t.Errorf("Get = %+v, %v; want pi_123", in, err)
	}
	get := onlyRequest(t, rec)
	if get.Method != http.MethodGet || get.Path != "/v1/payment_intents/pi_123" || get.Form.Get("expand[0]") != "latest_charge" {
		t.Errorf("Get sent %s %s %v, want GET /v1/payment_intents/pi_123 expanding latest_charge", get.Method, get.Path, get.Form)
	}

	st, rec = newStripe(stripeMock(t))
	if in, err := st.Cancel(ctx, "pi_123", "ord_1:cancel"); err != nil || in.ID != "pi_123" {
		t.Errorf("Cancel = %+v, %v; want pi_123", in, err)
	}
	cancel := onlyRequest(t, rec)
	if cancel.Method != http.MethodPost || cancel.Path != "/v1/payment_intents/pi_123/cancel" || cancel.Header.Get("Idempotency-Key") != "ord_1:cancel" {
		t.Errorf("Cancel sent %s %s with Idempotency-Key %q, want POST /v1/payment_intents/pi_123/cancel with ord_1:cancel",
			cancel.Method, cancel.Path, cancel.Header.Get("Idempotency-Key"))
	}

	st, rec = newStripe(stripeMock(t))
	in, err = st.Refund(ctx, "pi_123", "ord_1:refund")
	if err != nil || in.ID != "pi_123" || !in.Refunded {
		t.Errorf("Refund = %+v, %v; want pi_123 refunded", in, err)
	}
	sent := rec.requests()
	if len(sent) != 2 {
		t.Fatalf("Refund sent %d requests, want 2 (refund, then read the intent): %+v", len(sent), sent)
	}
	refund := sent[0]
	if refund.Method != http.MethodPost || refund.Path != "/v1/refunds" || refund.Form.Get("payment_intent") != "pi_123" ||
		refund.Header.Get("Idempotency-Key") != "ord_1:refund" {
		t.Errorf("Refund sent %s %s %v with Idempotency-Key %q, want POST /v1/refunds payment_intent=pi_123 with ord_1:refund",
			refund.Method, refund.Path, refund.Form, refund.Header.Get("Idempotency-Key"))
	}
}

func TestStripeRefusedRequestsAgainstStripeMock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	// stripe-mock cannot unescape a path parameter of a lone "%" and refuses the request with
	// a 400 invalid_request_error, as Stripe does any request it will never accept.
	st, _ := newStripe(stripeMock(t))
	if in, err := st.Get(ctx, "pi_%"); !errors.Is(err, payment.ErrInvalidRequest) {
		t.Errorf("Get(pi_%%) = %+v, %v; want ErrInvalidRequest", in, err)
	}

	// stripe-mock accepts any amount and currency, so those are checked before sending.
	for _, change := range []func(*payment.ChargeRequest){
		func(r *payment.ChargeRequest) { r.AmountCents = -100 },
		func(r *payment.ChargeRequest) { r.Currency = "usd" },
		func(r *payment.ChargeRequest) { r.IdempotencyKey = "" },
	} {
		st, rec := newStripe(stripeMock(t))
		req := chargeFor("ord_1", "pm_card_visa")
		change(&req)
		if in, err := st.Charge(ctx, req); !errors.Is(err, payment.ErrInvalidRequest) {
			t.Errorf("Charge(%+v) = %+v, %v; want ErrInvalidRequest", req, in, err)
		}
		if sent := rec.requests(); len(sent) != 0 {
			t.Errorf("Charge(%+v) sent %d requests, want none", req, len(sent))
		}
	}

	// A live key is refused by stripe-mock (401). An operator can fix a key while activities
	// retry, so it must not read as a request that can never succeed.
	live := payment.NewStripe(payment.StripeConfig{SecretKey: "sk_live_123", BackendURL: stripeMock(t)})
	_, err := live.Get(ctx, "pi_123")
	var se *stripe.Error
	if err == nil || errors.Is(err, payment.ErrInvalidRequest) || errors.Is(err, payment.ErrNotFound) ||
		!errors.As(err, &se) || se.HTTPStatusCode != http.StatusUnauthorized {
		t.Errorf("Get with a refused key: %v; want a retryable 401 *stripe.Error", err)
	}
}

// fakeStripe answers like Stripe does in the cases stripe-mock cannot show (declines, state
// errors), each "METHOD /path" with a fixed status and JSON body.
type fakeStripe map[string]fakeAnswer

type fakeAnswer struct {
	status int
	body   string
}

func (f fakeStripe) start(t *testing.T) (*payment.Stripe, *recorder) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// Stripe sends this on errors its idempotency layer would replay; it also keeps
		// stripe-go from retrying with back-off sleeps.
		w.Header().Set("Stripe-Should-Retry", "false")
		a, ok := f[r.Method+" "+r.URL.Path]
		if !ok {
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
			a = fakeAnswer{http.StatusNotImplemented, `{"error":{"type":"api_error","message":"not in the fake"}}`}
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	return newStripe(srv.URL)
}

func intentJSON(id, status, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return fmt.Sprintf(`{"id":%q,"object":"payment_intent","amount":1999,"currency":"eur","status":%q,"metadata":{"order_id":"ord_1"}%s}`, id, status, extra)
}

func stripeErrorJSON(typ, code, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return fmt.Sprintf(`{"error":{"type":%q,"code":%q,"message":"from the fake"%s}}`, typ, code, extra)
}

func TestStripeStatusMapping(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		pi   string
		want payment.Intent
	}{
		{"succeeded", intentJSON("pi_1", "succeeded", `"latest_charge":{"id":"ch_1","refunded":false}`),
			payment.Intent{ID: "pi_1", Status: payment.StatusSucceeded, AmountCents: 1999, Currency: "EUR"}},
		{"succeeded and refunded", intentJSON("pi_1", "succeeded", `"latest_charge":{"id":"ch_1","refunded":true}`),
			payment.Intent{ID: "pi_1", Status: payment.StatusSucceeded, AmountCents: 1999, Currency: "EUR", Refunded: true}},
		{"requires_action", intentJSON("pi_1", "requires_action", `"next_action":{"type":"use_stripe_sdk"}`),
			payment.Intent{ID: "pi_1", Status: payment.StatusRequiresAction, AmountCents: 1999, Currency: "EUR"}},
		{"processing", intentJSON("pi_1", "processing", ""),
			payment.Intent{ID: "pi_1", Status: payment.StatusProcessing, AmountCents: 1999, Currency: "EUR"}},
		{"requires_capture", intentJSON("pi_1", "requires_capture", ""),
			payment.Intent{ID: "pi_1", Status: payment.StatusProcessing, AmountCents: 1999, Currency: "EUR"}},
		{"canceled", intentJSON("pi_1", "canceled", `"cancellation_reason":"abandoned"`),
			payment.Intent{ID: "pi_1", Status: payment.StatusCanceled, AmountCents: 1999, Currency: "EUR"}},
		{"declined with an issuer code", intentJSON("pi_1", "requires_payment_method",
			`"last_payment_error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds"}`),
			payment.Intent{ID: "pi_1", Status: payment.StatusFailed, AmountCents: 1999, Currency: "EUR", DeclineCode: "insufficient_funds"}},
		{"declined with only an error code", intentJSON("pi_1", "requires_payment_method",
			`"last_payment_error":{"type":"card_error","code":"expired_card"}`),
			payment.Intent{ID: "pi_1", Status: payment.StatusFailed, AmountCents: 1999, Currency: "EUR", DeclineCode: "expired_card"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, _ := fakeStripe{
				"GET /v1/payment_intents/pi_1": {http.StatusOK, tc.pi},
				"POST /v1/payment_intents":     {http.StatusOK, tc.pi},
			}.start(t)
			if in, err := st.Get(context.Background(), "pi_1"); err != nil || in != tc.want {
				t.Errorf("Get = %+v, %v; want %+v", in, err, tc.want)
			}
			req := chargeFor("ord_1", "pm_card_visa")
			req.Currency = "EUR"
			if in, err := st.Charge(context.Background(), req); err != nil || in != tc.want {
				t.Errorf("Charge = %+v, %v; want %+v", in, err, tc.want)
			}
		})
	}
}

func TestStripeChargeDeclineIsNotAnError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		body string
		want payment.Intent
	}{
		{"with the intent", stripeErrorJSON("card_error", "card_declined", `"decline_code":"insufficient_funds","payment_intent":`+
			intentJSON("pi_declined", "requires_payment_method", `"last_payment_error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds"}`)),
			payment.Intent{ID: "pi_declined", Status: payment.StatusFailed, AmountCents: 1999, Currency: "USD", DeclineCode: "insufficient_funds"}},
		{"without the intent", stripeErrorJSON("card_error", "incorrect_cvc", ""),
			payment.Intent{Status: payment.StatusFailed, AmountCents: 1999, Currency: "USD", DeclineCode: "incorrect_cvc"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, _ := fakeStripe{"POST /v1/payment_intents": {http.StatusPaymentRequired, tc.body}}.start(t)
			in, err := st.Charge(context.Background(), chargeFor("ord_1", "pm_card_chargeDeclinedInsufficientFunds"))
			if err != nil || in != tc.want {
				t.Errorf("Charge = %+v, %v; want %+v and no error", in, err, tc.want)
			}
		})
	}
}

func TestStripeErrorMapping(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		answer fakeAnswer
		want   error // nil: retryable, no sentinel
	}{
		{"404 resource_missing", fakeAnswer{http.StatusNotFound, stripeErrorJSON("invalid_request_error", "resource_missing", `"param":"intent"`)}, payment.ErrNotFound},
		{"400 invalid request", fakeAnswer{http.StatusBadRequest, stripeErrorJSON("invalid_request_error", "amount_too_small", `"param":"amount"`)}, payment.ErrInvalidRequest},
		{"400 idempotency key reused", fakeAnswer{http.StatusBadRequest, stripeErrorJSON("idempotency_error", "", "")}, payment.ErrInvalidRequest},
		{"500 api error", fakeAnswer{http.StatusInternalServerError, stripeErrorJSON("api_error", "", "")}, nil},
		{"429 rate limited", fakeAnswer{http.StatusTooManyRequests, stripeErrorJSON("rate_limit_error", "rate_limit", "")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, _ := fakeStripe{
				"GET /v1/payment_intents/pi_1": tc.answer,
				"POST /v1/payment_intents":     tc.answer,
			}.start(t)
			_, getErr := st.Get(context.Background(), "pi_1")
			_, chargeErr := st.Charge(context.Background(), chargeFor("ord_1", "pm_card_visa"))
			for op, err := range map[string]error{"Get": getErr, "Charge": chargeErr} {
				if err == nil {
					t.Errorf("%s: no error", op)
					continue
				}
				for _, sentinel := range []error{payment.ErrNotFound, payment.ErrInvalidRequest, payment.ErrAlreadySucceeded} {
					if got, want := errors.Is(err, sentinel), sentinel == tc.want; got != want {
						t.Errorf("%s: %v; errors.Is(%q) = %v, want %v", op, err, sentinel, got, want)
					}
				}
				// Callers that need Stripe's detail (request id, code) can still reach it.
				if se := (*stripe.Error)(nil); !errors.As(err, &se) || se.HTTPStatusCode != tc.answer.status {
					t.Errorf("%s: %v; want a *stripe.Error with status %d in the chain", op, err, tc.answer.status)
				}
			}
		})
	}
}

func TestStripeCancel(t *testing.T) {
	t.Parallel()
	const cancelPath = "POST /v1/payment_intents/pi_1/cancel"
	unexpected := func(status string) fakeAnswer {
		return fakeAnswer{http.StatusBadRequest, stripeErrorJSON("invalid_request_error", "payment_intent_unexpected_state",
			`"payment_intent":`+intentJSON("pi_1", status, ""))}
	}
	for _, tc := range []struct {
		name    string
		fake    fakeStripe
		want    payment.Intent
		wantErr error
	}{
		{"waiting for action", fakeStripe{cancelPath: {http.StatusOK, intentJSON("pi_1", "canceled", "")}},
			payment.Intent{ID: "pi_1", Status: payment.StatusCanceled, AmountCents: 1999, Currency: "EUR"}, nil},
		{"already succeeded", fakeStripe{cancelPath: unexpected("succeeded")}, payment.Intent{}, payment.ErrAlreadySucceeded},
		{"already canceled", fakeStripe{cancelPath: unexpected("canceled")},
			payment.Intent{ID: "pi_1", Status: payment.StatusCanceled, AmountCents: 1999, Currency: "EUR"}, nil},
		{"state error without the intent", fakeStripe{
			cancelPath:                     {http.StatusBadRequest, stripeErrorJSON("invalid_request_error", "payment_intent_unexpected_state", "")},
			"GET /v1/payment_intents/pi_1": {http.StatusOK, intentJSON("pi_1", "succeeded", "")},
		}, payment.Intent{}, payment.ErrAlreadySucceeded},
		{"another state error", fakeStripe{cancelPath: unexpected("requires_confirmation")}, payment.Intent{}, payment.ErrInvalidRequest},
		{"unknown intent", fakeStripe{cancelPath: {http.StatusNotFound, stripeErrorJSON("invalid_request_error", "resource_missing", "")}},
			payment.Intent{}, payment.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, rec := tc.fake.start(t)
			in, err := st.Cancel(context.Background(), "pi_1", "ord_1:cancel")
			if in != tc.want || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Errorf("Cancel = %+v, %v; want %+v, %v", in, err, tc.want, tc.wantErr)
			}
			if key := rec.requests()[0].Header.Get("Idempotency-Key"); key != "ord_1:cancel" {
				t.Errorf("Idempotency-Key = %q, want ord_1:cancel", key)
			}
		})
	}
}

func TestStripeRefund(t *testing.T) {
	t.Parallel()
	const refundPath = "POST /v1/refunds"
	succeeded := fakeAnswer{http.StatusOK, intentJSON("pi_1", "succeeded", `"latest_charge":{"id":"ch_1","refunded":true}`)}
	refunded := payment.Intent{ID: "pi_1", Status: payment.StatusSucceeded, AmountCents: 1999, Currency: "EUR", Refunded: true}
	for _, tc := range []struct {
		name    string
		fake    fakeStripe
		want    payment.Intent
		wantErr error
	}{
		{"succeeded intent", fakeStripe{
			refundPath:                     {http.StatusOK, `{"id":"re_1","object":"refund","status":"succeeded","payment_intent":"pi_1"}`},
			"GET /v1/payment_intents/pi_1": succeeded,
		}, refunded, nil},
		{"pending refund", fakeStripe{
			refundPath: {http.StatusOK, `{"id":"re_1","object":"refund","status":"pending","payment_intent":"pi_1"}`},
			// The charge may not show the refund yet; the accepted refund is what counts.
			"GET /v1/payment_intents/pi_1": {http.StatusOK, intentJSON("pi_1", "succeeded", `"latest_charge":{"id":"ch_1","refunded":false}`)},
		}, refunded, nil},
		{"refunded under another key", fakeStripe{
			refundPath:                     {http.StatusBadRequest, stripeErrorJSON("invalid_request_error", "charge_already_refunded", "")},
			"GET /v1/payment_intents/pi_1": succeeded,
		}, refunded, nil},
		{"failed refund", fakeStripe{
			refundPath: {http.StatusOK, `{"id":"re_1","object":"refund","status":"failed","payment_intent":"pi_1"}`},
		}, payment.Intent{}, payment.ErrInvalidRequest},
		{"intent not succeeded", fakeStripe{
			refundPath: {http.StatusBadRequest, stripeErrorJSON("invalid_request_error", "payment_intent_unexpected_state", "")},
		}, payment.Intent{}, payment.ErrInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, rec := tc.fake.start(t)
			in, err := st.Refund(context.Background(), "pi_1", "ord_1:refund")
			if in != tc.want || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Errorf("Refund = %+v, %v; want %+v, %v", in, err, tc.want, tc.wantErr)
			}
			if key := rec.requests()[0].Header.Get("Idempotency-Key"); key != "ord_1:refund" {
				t.Errorf("Idempotency-Key = %q, want ord_1:refund", key)
			}
		})
	}
}

func TestStripeRefusesEmptyIntentID(t *testing.T) {
	t.Parallel()
	st, rec := fakeStripe{}.start(t)
	ctx := context.Background()
	for name, call := range map[string]func() (payment.Intent, error){
		"Get":    func() (payment.Intent, error) { return st.Get(ctx, "") },
		"Cancel": func() (payment.Intent, error) { return st.Cancel(ctx, "", "k") },
		"Refund": func() (payment.Intent, error) { return st.Refund(ctx, "", "k") },
	} {
		if in, err := call(); !errors.Is(err, payment.ErrInvalidRequest) {
			t.Errorf("%s(empty id) = %+v, %v; want ErrInvalidRequest", name, in, err)
		}
	}
	if sent := rec.requests(); len(sent) != 0 {
		t.Errorf("sent %d requests, want none", len(sent))
	}
}

func TestStripeName(t *testing.T) {
	t.Parallel()
	if got := payment.NewStripe(payment.StripeConfig{}).Name(); got != "stripe" {
		t.Errorf("Name() = %q, want stripe", got)
	}
}
