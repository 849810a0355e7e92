package activities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"shopflow/activities"
	"shopflow/notify"
	"shopflow/ranking"
	"shopflow/store"
	"shopflow/store/storetest"
)

const digestDay = "2026-11-20"

// fakeRanks serves one seller's ranking document; every other seller is unranked.
type fakeRanks struct {
	doc ranking.SellerDocument
}

func (f fakeRanks) Seller(_ context.Context, sellerID string) ([]byte, ranking.Meta, error) {
	meta := ranking.Meta{RankedSellers: 7, GeneratedAt: time.Date(2026, 11, 21, 0, 5, 0, 0, time.UTC)}
	if sellerID != f.doc.SellerID {
		return nil, meta, nil
	}
	raw, err := json.Marshal(f.doc)
	return raw, meta, err
}

type digestFixture struct {
	st         *store.Store
	a          *activities.Digest
	email, sms *fakeChannel
	// full chose every channel, plain never set preferences (in-app), mailOnly chose email
	// without a preferred address (the account's is used).
	full, plain, mailOnly         string
	fullUser, plainUser, mailUser string
	category                      int64
}

func newDigestFixture(t *testing.T) digestFixture {
	t.Helper()
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	f := digestFixture{st: st, email: &fakeChannel{name: "email"}, sms: &fakeChannel{name: "sms"}}
	svc := notify.NewService(st, nil, nil, notify.InApp{}, f.email, f.sms)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	seller := func(email, name string) (user, seller string) {
		must(st.Pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, role) VALUES ($1, 'x', 'seller') RETURNING id::text`, email).Scan(&user))
		must(st.Pool.QueryRow(ctx, `INSERT INTO sellers (user_id, store_name) VALUES ($1, $2) RETURNING id::text`, user, name).Scan(&seller))
		return user, seller
	}
	f.fullUser, f.full = seller("full@example.com", "Full Shop")
	f.plainUser, f.plain = seller("plain@example.com", "Plain Shop")
	f.mailUser, f.mailOnly = seller("mail@example.com", "Mail Shop")
	_, err := st.PutNotificationPreferences(ctx, f.full, store.NotificationPreferences{
		Channels: []string{"email", "sms", "inapp"}, Email: "alerts@full.example", Phone: "+14155552671"})
	must(err)
	_, err = st.PutNotificationPreferences(ctx, f.mailOnly, store.NotificationPreferences{Channels: []string{"email"}})
	must(err)
	must(st.Pool.QueryRow(ctx, `INSERT INTO categories (name, slug) VALUES ('Garden', 'garden') RETURNING id`).Scan(&f.category))

	// Sales of the full shop: the day in two currencies over several hours, the day before,
	// a day inside the chart, one outside it, and one after the day (none of which may count).
	hour := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	for _, r := range []struct {
		at            string
		product       int64
		cur           string
		units, amount int64
	}{
		{"2026-11-20T00:00:00Z", 1, "EUR", 3, 3000},
		{"2026-11-20T13:00:00Z", 1, "EUR", 2, 2000},
		{"2026-11-20T23:00:00Z", 2, "USD", 4, 1999},
		{"2026-11-19T10:00:00Z", 1, "EUR", 7, 7000},
		{"2026-11-10T10:00:00Z", 1, "EUR", 1, 1000},
		{"2026-11-06T10:00:00Z", 1, "EUR", 50, 50000}, // 15 days back: outside the chart
		{"2026-11-21T00:00:00Z", 1, "EUR", 90, 90000}, // the next day
	} {
		_, err := st.Pool.Exec(ctx, `INSERT INTO sales_hourly (hour, product_id, currency, category_id, seller_id, units, revenue_cents, lines)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 1)`, hour(r.at), r.product, r.cur, f.category, f.full, r.units, r.amount)
		must(err)
	}
	rank := 2
	f.a = &activities.Digest{Store: st, Service: svc, BaseURL: "https://shop.example", Logger: svc.Logger,
		Ranks: fakeRanks{doc: ranking.SellerDocument{SellerID: f.full, GeneratedAt: time.Date(2026, 11, 21, 0, 5, 0, 0, time.UTC),
			Overall:    ranking.OverallStanding{Rank: &rank, Of: 7, Units: 9},
			Categories: []ranking.CategoryStanding{{CategoryID: f.category, Standing: ranking.Standing{Rank: 1, Of: 3}}}}}}
	return f
}

// sendDigests runs SendDigests as Temporal would (heartbeats included).
func sendDigests(t *testing.T, a *activities.Digest, in activities.SendDigestsInput) (activities.SendDigestsResult, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	var res activities.SendDigestsResult
	v, err := env.ExecuteActivity(a.SendDigests, in)
	if err != nil {
		return res, err
	}
	return res, v.Get(&res)
}

func (f digestFixture) inApp(t *testing.T, user string) []store.Notification {
	t.Helper()
	page, err := f.st.Inbox(context.Background(), store.InboxFilter{UserID: user, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func TestSendDigestsOnePerChannelAndRerunSendsNothing(t *testing.T) {
	t.Parallel()
	f := newDigestFixture(t)
	in := activities.SendDigestsInput{Period: digestDay, SellerIDs: []string{f.full, f.plain, f.mailOnly}}
	res, err := sendDigests(t, f.a, in)
	if err != nil {
		t.Fatal(err)
	}
	want := activities.SendDigestsResult{Sellers: 3, Sent: 5}
	if res != want {
		t.Errorf("first run = %+v, want %+v", res, want)
	}
	check := func(run string) {
		t.Helper()
		for _, c := range []struct {
			name string
			got  int
		}{
			{"full by email", f.email.to("alerts@full.example")},
			{"full by sms", f.sms.to("+14155552671")},
			{"mail-only at its account email", f.email.to("mail@example.com")},
			{"full in-app", len(f.inApp(t, f.fullUser))},
			{"plain in-app", len(f.inApp(t, f.plainUser))},
		} {
			if c.got != 1 {
				t.Errorf("%s: %s got %d messages, want 1", run, c.name, c.got)
			}
		}
		if n := len(f.inApp(t, f.mailUser)); n != 0 {
			t.Errorf("%s: mail-only seller got %d in-app messages, did not choose in-app", run, n)
		}
		if len(f.email.sent) != 2 || len(f.sms.sent) != 1 {
			t.Errorf("%s: %d emails and %d SMS, want 2 and 1", run, len(f.email.sent), len(f.sms.sent))
		}
	}
	check("first run")

	res, err = sendDigests(t, f.a, in)
	if err != nil {
		t.Fatal(err)
	}
	if want := (activities.SendDigestsResult{Sellers: 3, Duplicates: 5}); res != want {
		t.Errorf("rerun = %+v, want %+v", res, want)
	}
	check("rerun")
}

// A run killed partway (here: its context canceled after the first email went out) and then
// run again sends each seller exactly one message per channel.
func TestSendDigestsKilledAndRerun(t *testing.T) {
	t.Parallel()
	f := newDigestFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	killer := &killingChannel{fakeChannel: f.email, cancel: cancel}
	f.a.Service.Channels["email"] = killer
	in := activities.SendDigestsInput{Period: digestDay, SellerIDs: []string{f.full, f.plain, f.mailOnly}}
	if _, err := f.a.SendDigests(ctx, in); err == nil {
		t.Fatal("killed run returned no error")
	}
	if len(f.email.sent) != 1 {
		t.Fatalf("killed run sent %d emails, want 1", len(f.email.sent))
	}
	if _, err := sendDigests(t, f.a, in); err != nil {
		t.Fatal(err)
	}
	if f.email.to("alerts@full.example") != 1 || f.email.to("mail@example.com") != 1 || f.sms.to("+14155552671") != 1 ||
		len(f.inApp(t, f.fullUser)) != 1 || len(f.inApp(t, f.plainUser)) != 1 {
		t.Errorf("after rerun: emails %d+%d, sms %d, in-app %d+%d; want one each",
			f.email.to("alerts@full.example"), f.email.to("mail@example.com"), f.sms.to("+14155552671"),
			len(f.inApp(t, f.fullUser)), len(f.inApp(t, f.plainUser)))
	}
}

// killingChannel sends, then cancels the run's context, as a worker dying right after a
// provider accepted a message.
type killingChannel struct {
	*fakeChannel
	cancel context.CancelFunc
}

func (k *killingChannel) Send(ctx context.Context, m notify.Message) error {
	err := k.fakeChannel.Send(ctx, m)
	k.cancel()
	return err
}

func TestSendDigestsMessageMatchesSQL(t *testing.T) {
	t.Parallel()
	f := newDigestFixture(t)
	if _, err := sendDigests(t, f.a, activities.SendDigestsInput{Period: digestDay, SellerIDs: []string{f.full}}); err != nil {
		t.Fatal(err)
	}
	if len(f.email.sent) != 1 {
		t.Fatalf("%d emails", len(f.email.sent))
	}
	m := f.email.sent[0]
	if m.HTML == "" || m.Text == "" {
		t.Fatalf("email lacks a part: html %d bytes, text %d bytes", len(m.HTML), len(m.Text))
	}
	// The numbers, computed independently from the rollup.
	ctx := context.Background()
	sum := func(from, to string) (units int64, money []string) {
		rows, err := f.st.Pool.Query(ctx, `SELECT currency, sum(units)::bigint, sum(revenue_cents)::bigint FROM sales_hourly
			WHERE seller_id = $1 AND hour >= $2::timestamptz AND hour < $3::timestamptz GROUP BY currency ORDER BY currency`, f.full, from, to)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var cur string
			var u, c int64
			if err := rows.Scan(&cur, &u, &c); err != nil {
				t.Fatal(err)
			}
			units += u
			money = append(money, fmt.Sprintf("%d.%02d %s", c/100, c%100, cur))
		}
		return units, money
	}
	units, revenue := sum("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z")
	prevUnits, prevRevenue := sum("2026-11-19T00:00:00Z", "2026-11-20T00:00:00Z")
	for _, want := range []string{
		fmt.Sprintf("Units: %d (previous day %d, change %+d)", units, prevUnits, units-prevUnits),
		fmt.Sprintf("Revenue: %s (previous day %s)", strings.Join(revenue, " + "), strings.Join(prevRevenue, " + ")),
		"Rank: #2 of 7 sellers overall",
		"Garden: #1 of 3",
		"https://shop.example/api/v1/sellers/me/reports/2026-11-20",
		"2026-11-07  0", // the chart's first day
		"2026-11-10  1",
		"2026-11-20  9",
	} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}
	if strings.Contains(m.Text, "2026-11-06") || strings.Contains(m.Text, "2026-11-21  ") {
		t.Errorf("chart reaches outside the 14 days:\n%s", m.Text)
	}
	for _, want := range []string{
		fmt.Sprintf("<b>%d</b>", units), strings.Join(revenue, " + "), "#2 of 7", "Garden",
		`href="https://shop.example/api/v1/sellers/me/reports/2026-11-20"`,
	} {
		if !strings.Contains(html.UnescapeString(m.HTML), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// The chart is the PNG of the 14 days' units as the rollup has them.
	perDay := map[string]int64{}
	rows, err := f.st.Pool.Query(ctx, `SELECT to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD'), sum(units)::bigint FROM sales_hourly
		WHERE seller_id = $1 GROUP BY 1`, f.full)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var day string
		var u int64
		if err := rows.Scan(&day, &u); err != nil {
			t.Fatal(err)
		}
		perDay[day] = u
	}
	rows.Close()
	var series []notify.DayUnits
	for d := time.Date(2026, 11, 7, 0, 0, 0, 0, time.UTC); !d.After(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
		series = append(series, notify.DayUnits{Date: d.Format(time.DateOnly), Units: perDay[d.Format(time.DateOnly)]})
	}
	wantPNG, err := notify.DigestChartPNG(series)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Inline) != 1 || !bytes.Equal(m.Inline[0].Data, wantPNG) || !strings.Contains(m.HTML, `src="cid:`+m.Inline[0].ContentID+`"`) {
		t.Errorf("the email's chart is not the PNG of the 14 days' units shown by its HTML (%d images)", len(m.Inline))
	}
	if len(f.sms.sent) != 1 || len(f.sms.sent[0].Text) > 320 || f.sms.sent[0].HTML != "" {
		t.Errorf("SMS should be one short text: %+v", f.sms.sent)
	}
}

func TestSendDigestsWithoutRanking(t *testing.T) {
	t.Parallel()
	f := newDigestFixture(t)
	f.a.Ranks = nil
	if _, err := sendDigests(t, f.a, activities.SendDigestsInput{Period: digestDay, SellerIDs: []string{f.full, f.plain}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.email.sent[0].Text, "no ranking is published") {
		t.Errorf("text does not say the ranking is absent:\n%s", f.email.sent[0].Text)
	}
	// A seller with no sales and no ranking document still gets its digest, saying so.
	items := f.inApp(t, f.plainUser)
	if len(items) != 1 || !strings.Contains(items[0].Body, "Units: 0") {
		t.Errorf("plain seller's digest: %+v", items)
	}
}

func TestListDigestSellersPagesInIDOrder(t *testing.T) {
	t.Parallel()
	f := newDigestFixture(t)
	ctx := context.Background()
	var all []string
	after := ""
	for {
		page, err := f.a.ListDigestSellers(ctx, activities.ListDigestSellersInput{After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.SellerIDs) == 0 {
			break
		}
		all = append(all, page.SellerIDs...)
		after = page.SellerIDs[len(page.SellerIDs)-1]
	}
	var want []string
	if err := f.st.Pool.QueryRow(ctx, `SELECT array_agg(id::text ORDER BY id) FROM sellers`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if strings.Join(all, ",") != strings.Join(want, ",") {
		t.Errorf("paged %v, want %v", all, want)
	}
}

// BenchmarkSendDigests sends digests through fake channels, in slices of 50 with 4 slices in
// flight, as the workflow does; each seller chose in-app, email and SMS. Each iteration is a
// different day, so nothing is a duplicate.
//
//   - unlimited: 10,000 sellers (30,000 messages), rate limits off: the digest's own ceiling.
//   - rate-limited: 2,000 sellers with the Redis limiter at email 400/s and SMS 100/s (bursts
//     of the same): the slowest channel needs (2,000 - 100) / 100 = 19 s at its limit;
//     "of-limit" is that over the time taken (1.0: limited only by the configured rate).
func BenchmarkSendDigests(b *testing.B) {
	b.Run("unlimited", func(b *testing.B) { benchmarkSendDigests(b, 10_000, nil) })
	b.Run("rate-limited", func(b *testing.B) {
		benchmarkSendDigests(b, 2_000, map[string]int{"email": 400, "sms": 100})
	})
}

func benchmarkSendDigests(b *testing.B, sellers int, limits map[string]int) {
	const slice, concurrency = 50, 4
	ctx := context.Background()
	st := store.New(storetest.NewPool(b))
	_, err := st.Pool.Exec(ctx, `
		WITH u AS (INSERT INTO users (email, password_hash, role)
			SELECT 'bench-' || g || '@example.com', 'x', 'seller' FROM generate_series(1, $1::int) g RETURNING id, email)
		, s AS (INSERT INTO sellers (user_id, store_name) SELECT id, 'Shop ' || email FROM u RETURNING id)
		INSERT INTO notification_preferences (seller_id, channels, email, phone)
		SELECT id, '{inapp,email,sms}', '', '+1415555' || lpad((row_number() OVER ())::text, 4, '0') FROM s`, sellers)
	if err != nil {
		b.Fatal(err)
	}
	_, err = st.Pool.Exec(ctx, `INSERT INTO sales_hourly (hour, product_id, currency, category_id, seller_id, units, revenue_cents, lines)
		SELECT timestamptz '2026-11-20 12:00Z' - d * interval '1 day', row_number() OVER (), 'EUR', 1, s.id, 1 + d, 1000 * (1 + d), 1
		FROM sellers s, generate_series(0, 13) d`)
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	if err := st.Pool.QueryRow(ctx, `SELECT array_agg(id::text ORDER BY id) FROM sellers`).Scan(&ids); err != nil {
		b.Fatal(err)
	}
	email, sms := &countingChannel{name: "email"}, &countingChannel{name: "sms"}
	var limiter notify.Limiter
	ideal := 0.0 // seconds the slowest limited channel needs at its rate
	if limits != nil {
		rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
		b.Cleanup(func() { rdb.Close() })
		limiter = notify.NewRedisLimiter(rdb, "bench:"+strings.ReplaceAll(b.Name(), "/", ":")+fmt.Sprint(time.Now().UnixNano())+":", limits)
		for _, perSecond := range limits {
			ideal = max(ideal, float64(sellers-perSecond)/float64(perSecond))
		}
	}
	svc := notify.NewService(st, limiter, nil, notify.InApp{}, email, sms)
	a := &activities.Digest{Store: st, Service: svc, Logger: svc.Logger}
	b.ResetTimer()
	start := time.Now()
	messages := 0
	for i := range b.N {
		period := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -i).Format(time.DateOnly)
		var mu sync.Mutex
		var firstErr error
		sem := make(chan struct{}, concurrency)
		var wg sync.WaitGroup
		for lo := 0; lo < len(ids); lo += slice {
			sem <- struct{}{}
			wg.Add(1)
			go func(part []string) {
				defer func() { <-sem; wg.Done() }()
				res, err := a.SendDigests(ctx, activities.SendDigestsInput{Period: period, SellerIDs: part})
				mu.Lock()
				defer mu.Unlock()
				messages += res.Sent
				if err != nil && firstErr == nil {
					firstErr = err
				}
			}(ids[lo:min(lo+slice, len(ids))])
		}
		wg.Wait()
		if firstErr != nil {
			b.Fatal(firstErr)
		}
	}
	elapsed := time.Since(start)
	if messages != 3*sellers*b.N {
		b.Fatalf("sent %d messages, want %d", messages, 3*sellers*b.N)
	}
	b.ReportMetric(float64(messages)/elapsed.Seconds(), "messages/s")
	b.ReportMetric(float64(sellers*b.N)/elapsed.Seconds(), "sellers/s")
	if ideal > 0 {
		b.ReportMetric(ideal*float64(b.N)/elapsed.Seconds(), "of-limit")
	}
}

// countingChannel accepts every message and only counts them, so the benchmark measures the
// digest and the service, not a recorder.
type countingChannel struct {
	name string
	mu   sync.Mutex
	n    int
}

func (c *countingChannel) Name() string { return c.name }

func (c *countingChannel) Send(context.Context, notify.Message) error {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return nil
}

// flakyChannel fails transiently for one address while broken is set.
type flakyChannel struct {
	*fakeChannel
	mu     sync.Mutex
	broken string
}

func (c *flakyChannel) Send(ctx context.Context, m notify.Message) error {
	c.mu.Lock()
	broken := c.broken
	c.mu.Unlock()
	if m.To == broken {
		return errors.New("421 service not available, try again later")
	}
	return c.fakeChannel.Send(ctx, m)
}

// A seller whose email failed transiently fails the attempt; the retry, resuming from the
// attempt's last heartbeat as Temporal would, sends that email once the provider is back, and
// sends nobody anything twice.
func TestSendDigestsRetryResendsTheTransientFailures(t *testing.T) {
	t.Parallel()
	f := newDigestFixture(t)
	flaky := &flakyChannel{fakeChannel: f.email, broken: "mail@example.com"}
	f.a.Service.Channels["email"] = flaky
	f.a.Service.Retry = notify.RetryPolicy{Attempts: 1}
	in := activities.SendDigestsInput{Period: digestDay, SellerIDs: []string{f.full, f.mailOnly, f.plain}}

	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	var last map[string]any
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(f.a)
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		var d map[string]any
		if details.Get(&d) == nil {
			last = d
		}
	})
	_, err := env.ExecuteActivity(f.a.SendDigests, in)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != activities.ErrDigestRetry {
		t.Fatalf("first attempt: %v, want a %s error", err, activities.ErrDigestRetry)
	}
	if f.email.to("mail@example.com") != 0 || last == nil {
		t.Fatalf("first attempt: %d emails to the broken address, heartbeat %v", f.email.to("mail@example.com"), last)
	}

	flaky.mu.Lock()
	flaky.broken = ""
	flaky.mu.Unlock()
	retry := suite.NewTestActivityEnvironment()
	retry.RegisterActivity(f.a)
	retry.SetHeartbeatDetails(last)
	v, err := retry.ExecuteActivity(f.a.SendDigests, in)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	var res activities.SendDigestsResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	if f.email.to("mail@example.com") != 1 || f.email.to("alerts@full.example") != 1 || len(f.inApp(t, f.plainUser)) != 1 ||
		len(f.inApp(t, f.fullUser)) != 1 || f.sms.to("+14155552671") != 1 {
		t.Errorf("after the retry: mail-only %d, full %d emails, sms %d, in-app %d+%d; want one each",
			f.email.to("mail@example.com"), f.email.to("alerts@full.example"), f.sms.to("+14155552671"),
			len(f.inApp(t, f.fullUser)), len(f.inApp(t, f.plainUser)))
	}
	if res.Sellers != 3 || res.Retry != 0 || res.Sent+res.Duplicates != 5 {
		t.Errorf("retry result %+v, want 3 sellers, 5 sends settled, none left to retry", res)
	}
}
