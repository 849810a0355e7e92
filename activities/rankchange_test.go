package activities_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"shopflow/activities"
	"shopflow/notify"
	"shopflow/ranking"
)

// The hourly ranking alerts two of three sellers (one fell, one climbed by the threshold); the
// rank-change digest lists exactly those, tells each on its channels where it stands now and
// stood before, and a rerun sends nothing twice.
func TestRankChangeDigestTellsTheAlertedSellersOnce(t *testing.T) {
	t.Parallel()
	f := newDigestFixture(t)
	f.a.RankWindow = 24 * time.Hour
	ctx := context.Background()
	end := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	rank := func(at time.Time, ranks map[string]int) {
		t.Helper()
		r := ranking.Ranking{Window: ranking.WindowEnding(at, 24*time.Hour), RankedSellers: len(ranks)}
		for id, n := range ranks {
			r.Sellers = append(r.Sellers, ranking.SellerRanking{SellerID: id, Overall: ranking.Standing{Rank: n, Of: len(ranks)}})
		}
		if _, err := ranking.RecordRankChanges(ctx, f.st.Pool, r, 2); err != nil {
			t.Fatal(err)
		}
	}
	rank(end.Add(-time.Hour), map[string]int{f.full: 1, f.plain: 2, f.mailOnly: 3})
	rank(end, map[string]int{f.full: 3, f.plain: 2, f.mailOnly: 1})

	period := end.Format(time.RFC3339)
	page, err := f.a.ListDigestSellers(ctx, activities.ListDigestSellersInput{Kind: activities.DigestRankChange, Period: period, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	alerted := map[string]bool{f.full: true, f.mailOnly: true}
	if len(page.SellerIDs) != 2 || !alerted[page.SellerIDs[0]] || !alerted[page.SellerIDs[1]] || page.SellerIDs[0] > page.SellerIDs[1] {
		t.Fatalf("listed %v, want the two alerted sellers in id order", page.SellerIDs)
	}

	in := activities.SendDigestsInput{Kind: activities.DigestRankChange, Period: period, SellerIDs: []string{f.full, f.plain, f.mailOnly}}
	res, err := sendDigests(t, f.a, in)
	if err != nil {
		t.Fatal(err)
	}
	if want := (activities.SendDigestsResult{Sellers: 2, Sent: 4}); res != want {
		t.Errorf("first run = %+v, want %+v (full: email, sms, in-app; mail-only: email)", res, want)
	}
	inbox := f.inApp(t, f.fullUser)
	if len(inbox) != 1 || inbox[0].Kind != notify.RankChangeKind ||
		!strings.Contains(inbox[0].Body, "now #3 of 3 sellers (down from #1)") || !strings.Contains(inbox[0].Body, "24 hours to 2026-11-21 09:00 UTC") {
		t.Fatalf("full shop's in-app rank change: %+v", inbox)
	}
	if f.email.to("mail@example.com") != 1 || f.sms.to("+14155552671") != 1 || f.email.to("alerts@full.example") != 1 {
		t.Errorf("emails/SMS: mail-only %d, full sms %d, full email %d; want 1 each",
			f.email.to("mail@example.com"), f.sms.to("+14155552671"), f.email.to("alerts@full.example"))
	}
	for _, m := range f.email.sent {
		if m.To == "mail@example.com" && (!strings.Contains(m.Subject, "up: #1 of 3") || !strings.Contains(m.HTML, "up from #3") ||
			!strings.Contains(m.HTML, "https://shop.example/api/v1/sellers/me/rank")) {
			t.Errorf("mail-only shop's email: %q %q", m.Subject, m.HTML)
		}
	}
	if n := len(f.inApp(t, f.plainUser)); n != 0 {
		t.Errorf("the seller whose rank held got %d messages", n)
	}

	res, err = sendDigests(t, f.a, in)
	if err != nil {
		t.Fatal(err)
	}
	if want := (activities.SendDigestsResult{Sellers: 2, Duplicates: 4}); res != want {
		t.Errorf("rerun = %+v, want %+v", res, want)
	}
}

// A malformed period or an unknown kind fails for good instead of telling sellers nonsense.
func TestRankChangeDigestRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newDigestFixture(t)
	for _, in := range []activities.SendDigestsInput{
		{Kind: activities.DigestRankChange, Period: "2026-11-21", SellerIDs: []string{f.full}},
		{Kind: "weekly", Period: "2026-11-21", SellerIDs: []string{f.full}},
	} {
		if _, err := sendDigests(t, f.a, in); err == nil {
			t.Errorf("%+v was accepted", in)
		}
	}
	if n := len(f.email.sent) + len(f.inApp(t, f.fullUser)); n != 0 {
		t.Errorf("%d messages sent on bad input", n)
	}
}

// The daily digest's email carries its 14-day chart as an inline PNG that its HTML shows.
func TestDailyDigestEmailCarriesTheChart(t *testing.T) {
	t.Parallel()
	f := newDigestFixture(t)
	if _, err := sendDigests(t, f.a, activities.SendDigestsInput{Period: digestDay, SellerIDs: []string{f.full}}); err != nil {
		t.Fatal(err)
	}
	if len(f.email.sent) != 1 {
		t.Fatalf("%d emails, want 1", len(f.email.sent))
	}
	m := f.email.sent[0]
	if len(m.Inline) != 1 || m.Inline[0].ContentType != "image/png" || !strings.HasPrefix(string(m.Inline[0].Data), "\x89PNG") ||
		!strings.Contains(m.HTML, "cid:"+m.Inline[0].ContentID) {
		t.Fatalf("email inline images %d, html refers to the chart: %v", len(m.Inline), len(m.Inline) == 1 && strings.Contains(m.HTML, "cid:"+m.Inline[0].ContentID))
	}
	for _, m := range f.sms.sent {
		if len(m.Inline) != 0 {
			t.Error("the SMS carries an image")
		}
	}
}
