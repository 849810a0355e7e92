package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"shopflow/config"
)

// Fault injection, end to end: a dependency fails while shoppers check out, and the same
// running process (API and worker, never restarted) recovers. After each fault: no order is
// lost or doubled, every saga ends placed or canceled, no order is charged twice or keeps money
// it did not earn, and the stock adds up.

// faultEnv is a deployment on servers of the test's own, so a fault disturbs no other test.
type faultEnv struct {
	*env
	pg       *pgServer
	redisSrv *redisServer
	temporal *temporalServer
	stripe   *stripeMock
	products []int64
	initial  map[int64]int
}

type faultSettings struct{ stripe bool }

func newFaultEnv(t *testing.T, s faultSettings) *faultEnv {
	t.Helper()
	if suite.err != nil {
		t.Fatal(suite.err) // the suite's tools (bin/temporal) are what these tests run too
	}
	f := &faultEnv{pg: startPostgres(t), redisSrv: startRedis(t), temporal: startTemporalServer(t)}
	environ := []string{
		"SHOPFLOW_DATABASE_URL=" + f.pg.newDatabase(),
		"SHOPFLOW_REDIS_URL=" + f.redisSrv.url(),
		"SHOPFLOW_REDIS_PREFIX=faults:",
		"SHOPFLOW_TEMPORAL_ADDRESS=" + f.temporal.addr,
		"SHOPFLOW_TEMPORAL_NAMESPACE=default",
		"SHOPFLOW_TASK_QUEUE=" + taskQueueFor(t),
		"SHOPFLOW_PAYMENT_TIMEOUT=2m",
		"SHOPFLOW_RESERVATION_SWEEP_INTERVAL=1h",
		"SHOPFLOW_JWT_SECRET=e2e-secret-e2e-secret-e2e-secret!!",
		"SHOPFLOW_BCRYPT_COST=4",
		"SHOPFLOW_DEV_ENDPOINTS=true",
		"SHOPFLOW_LOGIN_LIMIT_PER_IP=1000",
		"SHOPFLOW_RATE_LIMIT_AUTH=0", "SHOPFLOW_RATE_LIMIT_WRITES=0", "SHOPFLOW_RATE_LIMIT_READS=0",
		"SHOPFLOW_FRAUD_VELOCITY_LIMIT=1000000", // one address, one card, few customers: never fraud review
		"SHOPFLOW_REPORTS_DIR=" + t.TempDir(),
	}
	if !s.stripe {
		environ = append(environ, "SHOPFLOW_PAYMENT_PROVIDER=sandbox")
	} else {
		f.stripe = startStripeMock(t)
		environ = append(environ, "SHOPFLOW_PAYMENT_PROVIDER=stripe", "SHOPFLOW_STRIPE_SECRET_KEY=sk_test_faults",
			"SHOPFLOW_STRIPE_WEBHOOK_SECRET=whsec_faults", "SHOPFLOW_STRIPE_API_URL=http://"+f.stripe.addr)
	}
	cfg, err := config.Load(environ)
	if err != nil {
		t.Fatal(err)
	}
	f.env = assembleEnv(t, cfg, f.temporal.client, true)
	f.initial = map[int64]int{}
	for i := range 3 {
		p := f.newProduct(40, int64(1000+100*i))
		f.products = append(f.products, p)
		f.initial[p] = 40
	}
	return f
}

// checkoutPlan is n checkouts over the env's products: mostly cards that pay, every tenth
// declined, and more demand than stock so some orders cancel out_of_stock.
func (f *faultEnv) checkoutPlan(n int, customers []account) []plannedCheckout {
	plan := make([]plannedCheckout, n)
	for i := range plan {
		card := cardVisa
		if i%10 == 3 {
			card = cardDeclined
		}
		lines := []line{{ProductID: f.products[i%3], Quantity: 1 + i%3}}
		if i%4 == 0 {
			lines = append(lines, line{ProductID: f.products[(i+1)%3], Quantity: 1})
		}
		plan[i] = plannedCheckout{cust: customers[i%len(customers)], key: fmt.Sprintf("fault-%d", i), req: checkoutOf(card, lines...)}
	}
	return plan
}

type plannedCheckout struct {
	cust account
	key  string
	req  checkoutRequest
}

// submission is what clients got for a plan: an order id per checkout, the statuses seen, and
// what went wrong for good.
type submission struct {
	ids      []string
	tally    *statusTally
	failures []error
}

// submit sends every planned checkout at once, each retried with its Idempotency-Key (as a
// client must) until it is accepted. It never fails the test, so it may run beside the fault.
func (f *faultEnv) submit(plan []plannedCheckout, deadline time.Duration) submission {
	ids := make([]string, len(plan))
	tally := &statusTally{}
	failures := make(chan error, len(plan))
	var wg sync.WaitGroup
	for i, p := range plan {
		wg.Go(func() {
			until := time.Now().Add(deadline)
			for {
				code, res, raw, err := f.postCheckout(p.cust, p.key, p.req)
				tally.add(code, err)
				if err == nil && code == http.StatusAccepted {
					ids[i] = res.Order.ID
					return
				}
				if err == nil && code < 500 && code != http.StatusConflict && code != http.StatusTooManyRequests {
					failures <- fmt.Errorf("checkout %d: status %d: %s", i, code, raw)
					return
				}
				if time.Now().After(until) {
					failures <- fmt.Errorf("checkout %d: not accepted within %s (last %d %v %s)", i, deadline, code, err, raw)
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	close(failures)
	sub := submission{ids: ids, tally: tally}
	for err := range failures {
		sub.failures = append(sub.failures, err)
	}
	return sub
}

// submitted waits for the submission and fails the test if a checkout was never accepted.
func (f *faultEnv) submitted(c <-chan submission) submission {
	f.t.Helper()
	sub := <-c
	for _, err := range sub.failures {
		f.t.Error(err)
	}
	if f.t.Failed() {
		f.t.FailNow()
	}
	return sub
}

// submitAsync runs submit beside the test.
func (f *faultEnv) submitAsync(plan []plannedCheckout, deadline time.Duration) <-chan submission {
	c := make(chan submission, 1)
	go func() { c <- f.submit(plan, deadline) }()
	return c
}

// midFlight fails the test when every order had finished: the fault then proved nothing.
func (f *faultEnv) midFlight(total int) {
	f.t.Helper()
	if done := f.terminal(); done >= total {
		f.t.Fatalf("all %d orders finished before the fault", done)
	}
}

// statusTally counts the answers clients saw, by status (0: no answer).
type statusTally struct {
	mu     sync.Mutex
	counts map[int]int
}

func (s *statusTally) add(code int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counts == nil {
		s.counts = map[int]int{}
	}
	if err != nil {
		code = 0
	}
	s.counts[code]++
}

func (s *statusTally) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for code, n := range s.counts {
		parts = append(parts, fmt.Sprintf("%d x%d", code, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// terminal counts orders that are placed or canceled.
func (f *faultEnv) terminal() int {
	return f.count(`SELECT count(*) FROM orders WHERE status IN ('placed', 'canceled')`)
}

// awaitSome waits until at least n orders are done, so the fault lands mid-flight.
func (f *faultEnv) awaitSome(n int) {
	f.t.Helper()
	eventually(f.t, 90*time.Second, func() (bool, error) { return f.terminal() >= n, nil },
		func() string { return fmt.Sprintf("%d orders to finish before the fault (%d did)", n, f.terminal()) })
}

// wantRecovered: the same process takes and completes a new checkout after the fault.
func (f *faultEnv) wantRecovered(cust account) {
	f.t.Helper()
	p := f.newProduct(5, 500)
	f.initial[p] = 5
	f.products = append(f.products, p)
	o := f.checkout(cust, checkoutOf(cardVisa, line{ProductID: p, Quantity: 1}))
	if res := f.awaitSaga(o.ID); res.Status != "placed" {
		f.t.Fatalf("checkout after recovery: %s (%s), want placed", res.Status, res.CancelReason)
	}
}

// A server restarts while 50 checkouts run. Postgres: connections are cut and transactions in
// flight roll back; the pools reconnect and activities retry. Temporal: starting a saga fails
// while it is down (the client retries its checkout, the order written before is found by its
// key and its saga started), and running sagas resume from their histories. Clients retry with
// their Idempotency-Keys, as a client must.
func TestFaultRestartDuringCheckouts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		restart func(*faultEnv)
	}{
		// The test's own pool drops its connections, which the restart killed; the
		// deployment's pools must find that out for themselves.
		{"postgres", func(f *faultEnv) { f.pg.restart(); f.db.Reset() }},
		{"temporal", func(f *faultEnv) { f.temporal.restart() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFaultEnv(t, faultSettings{})
			customers := f.newCustomers(5)
			plan := f.checkoutPlan(50, customers)
			pending := f.submitAsync(plan, 2*time.Minute)
			f.awaitSome(3)
			f.midFlight(len(plan))
			tc.restart(f)
			sub := f.submitted(pending)
			t.Logf("clients saw: %s", sub.tally)
			f.wantConsistent(sub.ids, f.initial, f.stripe == nil)
			f.wantRecovered(customers[0])
		})
	}
}

// stripe-mock stops while sagas charge and comes back 10 s later. stripe-mock answers every
// charge with its one canned intent, which reads as a decline, so here every order ends
// canceled: what the fault must not break is that every saga ends, none keeps stock, and the
// charges that failed on the outage were retried rather than lost.
func TestFaultPaymentProviderDownWhileCharging(t *testing.T) {
	t.Parallel()
	f := newFaultEnv(t, faultSettings{stripe: true})
	customers := f.newCustomers(5)
	plan := f.checkoutPlan(30, customers)
	f.stripe.stop()
	sub := f.submit(plan, time.Minute)
	for _, err := range sub.failures {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	// Every saga is now at its charge, retrying against the stopped provider.
	eventually(t, 30*time.Second, func() (bool, error) {
		return f.count(`SELECT count(*) FROM reservations WHERE status = 'held'`) > 0, nil
	}, func() string { return "stock held by sagas waiting for the provider" })
	f.midFlight(len(plan))
	time.Sleep(10 * time.Second) // the outage itself: how long the provider stays down
	f.stripe.start()
	f.wantConsistent(sub.ids, f.initial, f.stripe == nil)
	if n := f.count(`SELECT count(*) FROM orders WHERE status = 'canceled' AND cancel_reason = 'payment_declined'`); n != len(plan)-f.count(`SELECT count(*) FROM orders WHERE cancel_reason = 'out_of_stock'`) {
		t.Errorf("%d orders canceled payment_declined; every charged order should be (stripe-mock declines all)", n)
	}
}

// Redis stops for 30 s while shoppers browse, log in and check out. Every answer comes within
// seconds and is either served (Postgres stands in for what Redis caches) or 503 with
// Retry-After, never a 500; once Redis is back, everything works again without a restart.
func TestFaultRedisDownDuringBrowsingLoginAndCheckout(t *testing.T) {
	t.Parallel()
	f := newFaultEnv(t, faultSettings{})
	customers := f.newCustomers(3)
	shopper := map[string]string{"email": "shopper-" + randHex(4) + "@example.com", "password": "a-long-password-1"}
	f.mustSend(request{method: "POST", path: "/api/v1/auth/register", body: shopper}, nil, http.StatusCreated)
	var category int64
	if err := f.db.QueryRow(t.Context(), `SELECT category_id FROM products WHERE id = $1`, f.products[0]).Scan(&category); err != nil {
		t.Fatal(err)
	}
	f.redisSrv.stop()
	outage := time.Now().Add(30 * time.Second)
	tally := &statusTally{}
	var ids []string
	for i := 0; time.Now().Before(outage); i++ {
		for _, r := range []request{
			{method: "GET", path: "/api/v1/products"},
			{method: "GET", path: fmt.Sprintf("/api/v1/categories/%d/top-sellers", category)},
			{method: "POST", path: "/api/v1/auth/login", body: shopper},
			{method: "POST", path: "/api/v1/checkout", token: customers[i%3].Token, key: fmt.Sprintf("redis-down-%d", i),
				body: checkoutOf(cardVisa, line{ProductID: f.products[i%3], Quantity: 1})},
		} {
			began := time.Now()
			code, raw, err := f.sendRaw(r)
			tally.add(code, err)
			switch {
			case err != nil:
				t.Fatalf("%s %s with Redis down: %v", r.method, r.path, err)
			case time.Since(began) > 10*time.Second:
				t.Errorf("%s %s with Redis down took %s", r.method, r.path, time.Since(began))
			case code >= 500 && code != http.StatusServiceUnavailable:
				t.Errorf("%s %s with Redis down: %d %s, want it served or 503", r.method, r.path, code, raw.body)
			case code == http.StatusServiceUnavailable && raw.header.Get("Retry-After") == "":
				t.Errorf("%s %s with Redis down: 503 without Retry-After", r.method, r.path)
			case code == http.StatusAccepted && r.path == "/api/v1/checkout":
				var res checkoutResponse
				if err := json.Unmarshal(raw.body, &res); err != nil || res.Order.ID == "" {
					t.Fatalf("checkout accepted without an order: %s", raw.body)
				}
				ids = append(ids, res.Order.ID)
			}
		}
		time.Sleep(time.Second) // one round of browsing a second, for the length of the outage
	}
	t.Logf("with Redis down, clients saw: %s", tally)
	f.redisSrv.start()
	// The Redis client redials on its own within a second or so; login needs Redis (its limits).
	var last string
	eventually(t, 15*time.Second, func() (bool, error) {
		code, raw, err := f.send(request{method: "POST", path: "/api/v1/auth/login", body: shopper})
		last = fmt.Sprintf("%d %v %s", code, err, raw)
		return code == http.StatusOK, nil
	}, func() string { return "login to work again once Redis is back (last: " + last + ")" })
	f.wantConsistent(ids, f.initial, f.stripe == nil)
	f.wantRecovered(customers[0])
}
