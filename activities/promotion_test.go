package activities_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"shopflow/activities"
	"shopflow/notify"
	"shopflow/store"
	"shopflow/store/storetest"
)

// promoFixture has four customers: email+inapp, inapp only, sms+inapp, and one who opted out;
// and a seller, whom announcements never reach. The service has a real in-app channel and
// recording email and SMS channels.
type promoFixture struct {
	st         *store.Store
	a          *activities.Promotions
	email, sms *fakeChannel
	// mail, app and text opted in; out opted out.
	mail, app, text, out string
}

var promoEnds = time.Date(2030, 1, 31, 23, 59, 0, 0, time.UTC)

func newPromoFixture(t *testing.T) promoFixture {
	t.Helper()
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	f := promoFixture{st: st, email: &fakeChannel{name: "email"}, sms: &fakeChannel{name: "sms"}}
	svc := notify.NewService(st, nil, slog.New(slog.DiscardHandler), notify.InApp{}, f.email, f.sms)
	customer := func(email string, prefs store.MarketingPreferences) string {
		t.Helper()
		u, err := st.CreateUser(ctx, store.NewUser{Email: email, PasswordHash: "x", Role: store.RoleCustomer})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.PutMarketingPreferences(ctx, u.ID, prefs); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	f.mail = customer("mail@example.com", store.MarketingPreferences{Promotions: true, Channels: []string{"email", "inapp"}})
	f.app = customer("app@example.com", store.MarketingPreferences{Promotions: true, Channels: []string{"inapp"}})
	f.text = customer("text@example.com", store.MarketingPreferences{Promotions: true, Channels: []string{"sms", "inapp"}, Phone: "+14155552671"})
	f.out = customer("out@example.com", store.MarketingPreferences{Promotions: false, Channels: []string{"email", "inapp"}})
	seller, err := st.CreateUser(ctx, store.NewUser{Email: "seller@example.com", PasswordHash: "x", Role: store.RoleSeller, StoreName: "S"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `INSERT INTO marketing_preferences (user_id, promotions) VALUES ($1, true)`, seller.ID); err != nil {
		t.Fatal(err)
	}
	f.a = &activities.Promotions{Store: st, Service: svc, Logger: svc.Logger}
	return f
}

// promotion inserts a promotion with the given columns (SQL expressions by name) over a
// 10%-off coupon WINTER10 to be announced, started an hour ago, ending at promoEnds.
func (f promoFixture) promotion(t *testing.T, set map[string]string) int64 {
	t.Helper()
	cols := map[string]string{"name": "'Winter sale'", "code": "'WINTER10'", "kind": "'percent'", "percent_bp": "1000",
		"starts_at": "now() - interval '1 hour'", "ends_at": "'" + promoEnds.Format(time.RFC3339) + "'", "announce": "true"}
	for k, v := range set {
		cols[k] = v
	}
	var names, values []string
	for k, v := range cols {
		if v != "" {
			names, values = append(names, k), append(values, v)
		}
	}
	var id int64
	q := "INSERT INTO promotions (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(values, ", ") + ") RETURNING id"
	if err := f.st.Pool.QueryRow(context.Background(), q).Scan(&id); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (f promoFixture) inbox(t *testing.T, user string) []store.Notification {
	t.Helper()
	page, err := f.st.Inbox(context.Background(), store.InboxFilter{UserID: user, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func (f promoFixture) optedIn() []string {
	ids := []string{f.mail, f.app, f.text}
	slices.Sort(ids)
	return ids
}

// announce runs AnnounceBatch as Temporal would (heartbeats included).
func announce(t *testing.T, a *activities.Promotions, in activities.AnnounceBatchInput) (activities.AnnounceBatchResult, error) {
	t.Helper()
	env := newPromoActivityEnv()
	env.RegisterActivity(a)
	var res activities.AnnounceBatchResult
	v, err := env.ExecuteActivity(a.AnnounceBatch, in)
	if err != nil {
		return res, err
	}
	return res, v.Get(&res)
}

func newPromoActivityEnv() *testsuite.TestActivityEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	return suite.NewTestActivityEnvironment()
}

// Every opted-in customer is told once per chosen channel, the opted-out one and the seller
// never; running the batch again (a retried activity, a rerun) sends nothing more.
func TestAnnounceBatchOncePerChannelAndRetrySendsNothing(t *testing.T) {
	t.Parallel()
	f := newPromoFixture(t)
	id := f.promotion(t, nil)
	in := activities.AnnounceBatchInput{PromotionID: id, Limit: 10}
	res, err := announce(t, f.a, in)
	if err != nil {
		t.Fatal(err)
	}
	want := activities.AnnounceBatchResult{Status: activities.PromotionReady, Customers: 3, Last: f.optedIn()[2], Sent: 5}
	if res != want {
		t.Errorf("first run = %+v, want %+v", res, want)
	}
	check := func(run string) {
		t.Helper()
		for _, u := range []string{f.mail, f.app, f.text} {
			if n := len(f.inbox(t, u)); n != 1 {
				t.Errorf("%s: customer %s has %d in-app announcements, want 1", run, u, n)
			}
		}
		if n := len(f.inbox(t, f.out)); n != 0 {
			t.Errorf("%s: the opted-out customer has %d in-app announcements", run, n)
		}
		if f.email.to("mail@example.com") != 1 || len(f.email.sent) != 1 || f.sms.to("+14155552671") != 1 || len(f.sms.sent) != 1 {
			t.Errorf("%s: %d emails, %d SMS; want one each, to the customers who chose them", run, len(f.email.sent), len(f.sms.sent))
		}
	}
	check("first run")

	res, err = announce(t, f.a, in)
	if err != nil {
		t.Fatal(err)
	}
	if want := (activities.AnnounceBatchResult{Status: activities.PromotionReady, Customers: 3, Last: f.optedIn()[2], Duplicates: 5}); res != want {
		t.Errorf("rerun = %+v, want %+v", res, want)
	}
	check("rerun")

	var key string
	if err := f.st.Pool.QueryRow(context.Background(), `SELECT idempotency_key FROM notifications WHERE recipient_id = $1 AND channel = 'email'`, f.mail).Scan(&key); err != nil {
		t.Fatal(err)
	}
	if want := f.mail + ":promotion:" + strconv.FormatInt(id, 10) + ":email"; key != want {
		t.Errorf("key = %q, want %q", key, want)
	}
}

// Batches page through opted-in customers in user id order; one who opts out before its batch
// is not told.
func TestAnnounceBatchPagesAndHonoursALateOptOut(t *testing.T) {
	t.Parallel()
	f := newPromoFixture(t)
	id := f.promotion(t, nil)
	ids := f.optedIn()
	first, err := announce(t, f.a, activities.AnnounceBatchInput{PromotionID: id, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if first.Customers != 2 || first.Last != ids[1] {
		t.Fatalf("first batch = %+v, want the first two customers", first)
	}
	if _, err := f.st.PutMarketingPreferences(context.Background(), ids[2], store.MarketingPreferences{Channels: []string{"inapp"}}); err != nil {
		t.Fatal(err)
	}
	second, err := announce(t, f.a, activities.AnnounceBatchInput{PromotionID: id, After: first.Last, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if second.Customers != 0 || second.Sent != 0 {
		t.Errorf("second batch = %+v, want nobody: the last customer opted out", second)
	}
	if n := len(f.inbox(t, ids[2])); n != 0 {
		t.Errorf("the customer who opted out got %d announcements", n)
	}
}

// A customer whose email failed transiently fails the attempt; the retry, resuming from the
// attempt's last heartbeat as Temporal would, sends that email once the provider is back and
// nothing twice.
func TestAnnounceBatchRetryResendsOnlyTheTransientFailures(t *testing.T) {
	t.Parallel()
	f := newPromoFixture(t)
	id := f.promotion(t, nil)
	flaky := &flakyChannel{fakeChannel: f.email, broken: "mail@example.com"}
	f.a.Service.Channels["email"] = flaky
	f.a.Service.Retry = notify.RetryPolicy{Attempts: 1}
	in := activities.AnnounceBatchInput{PromotionID: id, Limit: 10}

	var last map[string]any
	env := newPromoActivityEnv()
	env.RegisterActivity(f.a)
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		var d map[string]any
		if details.Get(&d) == nil {
			last = d
		}
	})
	_, err := env.ExecuteActivity(f.a.AnnounceBatch, in)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != activities.ErrAnnounceRetry {
		t.Fatalf("first attempt: %v, want a %s error", err, activities.ErrAnnounceRetry)
	}
	if f.email.to("mail@example.com") != 0 || last == nil {
		t.Fatalf("first attempt: %d emails to the broken address, heartbeat %v", f.email.to("mail@example.com"), last)
	}

	flaky.mu.Lock()
	flaky.broken = ""
	flaky.mu.Unlock()
	retry := newPromoActivityEnv()
	retry.RegisterActivity(f.a)
	retry.SetHeartbeatDetails(last)
	v, err := retry.ExecuteActivity(f.a.AnnounceBatch, in)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	var res activities.AnnounceBatchResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	if f.email.to("mail@example.com") != 1 || f.sms.to("+14155552671") != 1 {
		t.Errorf("after the retry: %d emails, %d SMS; want one each", f.email.to("mail@example.com"), f.sms.to("+14155552671"))
	}
	for _, u := range []string{f.mail, f.app, f.text} {
		if n := len(f.inbox(t, u)); n != 1 {
			t.Errorf("customer %s has %d in-app announcements, want 1", u, n)
		}
	}
	if res.Customers != 3 || res.Retry != 0 || res.Sent+res.Duplicates != 5 {
		t.Errorf("retry result %+v, want 3 customers, 5 sends settled, none left to retry", res)
	}
}

// A promotion that may not be announced now sends nothing, and says why.
func TestAnnounceBatchAndCheckSayWhyNot(t *testing.T) {
	t.Parallel()
	f := newPromoFixture(t)
	for _, tc := range []struct {
		name string
		set  map[string]string
		want string
	}{
		{"ready", nil, activities.PromotionReady},
		{"deactivated", map[string]string{"active": "false"}, activities.PromotionInactive},
		{"withdrawn from announcement", map[string]string{"announce": "false"}, activities.PromotionNotAnnounced},
		{"ended", map[string]string{"starts_at": "now() - interval '2 days'", "ends_at": "now() - interval '1 day'"}, activities.PromotionEnded},
		{"starts later", map[string]string{"starts_at": "now() + interval '1 day'"}, activities.PromotionNotYet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := map[string]string{"code": ""} // the code is unique
			maps.Copy(set, tc.set)
			id := f.promotion(t, set)
			chk, err := f.a.CheckPromotion(context.Background(), activities.CheckPromotionInput{PromotionID: id})
			if err != nil || chk.Status != tc.want {
				t.Fatalf("check = %+v, %v; want %s", chk, err, tc.want)
			}
			if tc.want == activities.PromotionReady {
				return
			}
			res, err := f.a.AnnounceBatch(context.Background(), activities.AnnounceBatchInput{PromotionID: id, Limit: 10})
			if err != nil || res.Status != tc.want || res.Customers != 0 || res.Sent != 0 {
				t.Errorf("batch = %+v, %v; want %s and nothing sent", res, err, tc.want)
			}
		})
	}
	chk, err := f.a.CheckPromotion(context.Background(), activities.CheckPromotionInput{PromotionID: 987654321})
	if err != nil || chk.Status != activities.PromotionNotFound {
		t.Errorf("missing promotion: %+v, %v", chk, err)
	}
	for _, u := range []string{f.mail, f.app, f.text} {
		if n := len(f.inbox(t, u)); n != 0 {
			t.Errorf("customer %s was told of a promotion that may not be announced", u)
		}
	}
}

// The message names the promotion, what it gives, its code if it has one, and its end.
func TestAnnouncementSaysWhatThePromotionGives(t *testing.T) {
	t.Parallel()
	f := newPromoFixture(t)
	for _, tc := range []struct {
		name    string
		set     map[string]string
		want    []string
		notWant []string
	}{
		{"percent coupon", nil, []string{"Winter sale", "10% off", "code WINTER10", "until 31 January 2030 23:59 UTC"}, nil},
		{"fraction of a percent", map[string]string{"percent_bp": "1250", "code": "'HALF'"}, []string{"12.5% off"}, nil},
		{"fixed amount, automatic", map[string]string{"kind": "'fixed'", "percent_bp": "", "amount_cents": "500", "currency": "'EUR'", "code": ""},
			[]string{"5.00 EUR off", "applied automatically"}, []string{"code"}},
		{"yen have no minor units", map[string]string{"kind": "'fixed'", "percent_bp": "", "amount_cents": "500", "currency": "'JPY'", "code": "'YEN'"},
			[]string{"500 JPY off"}, nil},
		{"free shipping over a minimum, no end", map[string]string{"kind": "'free_shipping'", "percent_bp": "", "currency": "'EUR'",
			"min_subtotal_cents": "5000", "ends_at": "", "code": "'SHIP'"}, []string{"free shipping on orders of 50.00 EUR or more"}, []string{"until"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := f.promotion(t, tc.set)
			if _, err := announce(t, f.a, activities.AnnounceBatchInput{PromotionID: id, Limit: 10}); err != nil {
				t.Fatal(err)
			}
			var subject, body string
			if err := f.st.Pool.QueryRow(context.Background(), `SELECT subject, body FROM notifications
				WHERE recipient_id = $1 AND channel = 'inapp' AND idempotency_key LIKE '%:promotion:' || $2::bigint::text || ':inapp'`, f.app, id).Scan(&subject, &body); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(subject, "New promotion") {
				t.Errorf("subject %q", subject)
			}
			first, _, _ := strings.Cut(body, "\n")
			for _, w := range tc.want {
				if !strings.Contains(first, w) {
					t.Errorf("message %q does not say %q", first, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(first, w) {
					t.Errorf("message %q says %q", first, w)
				}
			}
		})
	}
}
