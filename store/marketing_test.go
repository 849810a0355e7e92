package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"shopflow/errs"
	"shopflow/store"
	"shopflow/store/storetest"
)

func newMarketingUser(t *testing.T, st *store.Store, email, role string) string {
	t.Helper()
	u, err := st.CreateUser(context.Background(), store.NewUser{Email: email, PasswordHash: "x", Role: role, StoreName: "Shop " + email})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestMarketingPreferencesDefaultAndReplace(t *testing.T) {
	t.Parallel()
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	id := newMarketingUser(t, st, "casey@example.com", store.RoleCustomer)

	p, err := st.MarketingPreferences(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Promotions || !slices.Equal(p.Channels, []string{"inapp"}) || p.Phone != "" || p.UpdatedAt != nil || p.Email != "casey@example.com" {
		t.Errorf("defaults = %+v, want not opted in, in-app, the account email", p)
	}
	saved, err := st.PutMarketingPreferences(ctx, id, store.MarketingPreferences{Promotions: true, Channels: []string{"email", "sms"}, Phone: "+14155552671"})
	if err != nil {
		t.Fatal(err)
	}
	if !saved.Promotions || !slices.Equal(saved.Channels, []string{"email", "sms"}) || saved.UpdatedAt == nil || saved.Email != "casey@example.com" {
		t.Errorf("saved = %+v", saved)
	}
	if _, err := st.PutMarketingPreferences(ctx, id, store.MarketingPreferences{Promotions: false, Channels: []string{"inapp"}}); err != nil {
		t.Fatal(err)
	}
	p, err = st.MarketingPreferences(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Promotions || !slices.Equal(p.Channels, []string{"inapp"}) || p.Phone != "" {
		t.Errorf("after opting out = %+v", p)
	}
	if _, err := st.MarketingPreferences(ctx, "5f0c6a4e-0000-4000-8000-000000000000"); !errs.Is(err, errs.NotFound) {
		t.Errorf("unknown user: %v, want not found", err)
	}
}

// Paging lists opted-in customers only, in id order, and each page reads consent as it is
// then: a customer who opts out between pages is not listed.
func TestPromotionRecipientsPagesOptedInCustomers(t *testing.T) {
	t.Parallel()
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	var in []string
	for i := range 5 {
		id := newMarketingUser(t, st, "in"+string(rune('a'+i))+"@example.com", store.RoleCustomer)
		if _, err := st.PutMarketingPreferences(ctx, id, store.MarketingPreferences{Promotions: true, Channels: []string{"inapp", "email"}}); err != nil {
			t.Fatal(err)
		}
		in = append(in, id)
	}
	out := newMarketingUser(t, st, "out@example.com", store.RoleCustomer)
	if _, err := st.PutMarketingPreferences(ctx, out, store.MarketingPreferences{Promotions: false, Channels: []string{"inapp"}}); err != nil {
		t.Fatal(err)
	}
	newMarketingUser(t, st, "never@example.com", store.RoleCustomer) // no row: not opted in
	disabled := newMarketingUser(t, st, "gone@example.com", store.RoleCustomer)
	if _, err := st.PutMarketingPreferences(ctx, disabled, store.MarketingPreferences{Promotions: true, Channels: []string{"inapp"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE users SET disabled_at = now() WHERE id = $1`, disabled); err != nil {
		t.Fatal(err)
	}
	slices.Sort(in)

	first, err := st.PromotionRecipientsAfter(ctx, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	// The third customer opts out before its page is read.
	if _, err := st.PutMarketingPreferences(ctx, in[2], store.MarketingPreferences{Promotions: false, Channels: []string{"inapp"}}); err != nil {
		t.Fatal(err)
	}
	got := recipientIDs(first)
	after := first[len(first)-1].UserID
	for {
		page, err := st.PromotionRecipientsAfter(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Fatalf("page of %d, limit 2", len(page))
		}
		if len(page) == 0 {
			break
		}
		got = append(got, recipientIDs(page)...)
		after = page[len(page)-1].UserID
	}
	want := []string{in[0], in[1], in[3], in[4]}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("listed %v, want %v", got, want)
	}
	if r := first[0]; !strings.HasSuffix(r.Email, "@example.com") || !slices.Equal(r.Channels, []string{"inapp", "email"}) {
		t.Errorf("recipient = %+v, want its account email and channels", r)
	}
}

func recipientIDs(rs []store.PromotionRecipient) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.UserID
	}
	return ids
}

func TestPromotionForAnnouncement(t *testing.T) {
	t.Parallel()
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	starts := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var coupon, auto int64
	if err := st.Pool.QueryRow(ctx, `INSERT INTO promotions (name, code, kind, percent_bp, starts_at, ends_at, announce)
		VALUES ('Winter', 'WINTER10', 'percent', 1000, $1, $2, true) RETURNING id`, starts, starts.AddDate(0, 1, 0)).Scan(&coupon); err != nil {
		t.Fatal(err)
	}
	if err := st.Pool.QueryRow(ctx, `INSERT INTO promotions (name, kind, amount_cents, currency, starts_at, active)
		VALUES ('Fiver', 'fixed', 500, 'EUR', $1, false) RETURNING id`, starts).Scan(&auto); err != nil {
		t.Fatal(err)
	}
	p, err := st.PromotionForAnnouncement(ctx, coupon)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Winter" || p.Code != "WINTER10" || p.Kind != "percent" || p.PercentBP != 1000 || !p.StartsAt.Equal(starts) ||
		p.EndsAt == nil || !p.Active || !p.Announce || p.AppliesTo != "order" {
		t.Errorf("coupon = %+v", p)
	}
	p, err = st.PromotionForAnnouncement(ctx, auto)
	if err != nil {
		t.Fatal(err)
	}
	if p.Code != "" || p.AmountCents != 500 || p.Currency != "EUR" || p.EndsAt != nil || p.Active || p.Announce {
		t.Errorf("automatic = %+v", p)
	}
	if _, err := st.PromotionForAnnouncement(ctx, auto+100); !errs.Is(err, errs.NotFound) {
		t.Errorf("missing promotion: %v, want not found", err)
	}
}
