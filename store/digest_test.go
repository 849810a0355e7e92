package store_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"shopflow/store"
	"shopflow/store/storetest"
)

// digestShop has three sellers: full chose every channel with its own addresses, plain never
// set preferences, mailOnly chose email without an address of its own.
type digestShop struct {
	st                    *store.Store
	full, plain, mailOnly store.User
	category              int64
}

func newDigestShop(t *testing.T) digestShop {
	t.Helper()
	ctx := context.Background()
	s := digestShop{st: store.New(storetest.NewPool(t))}
	seller := func(email, name string) store.User {
		t.Helper()
		u, err := s.st.CreateUser(ctx, store.NewUser{Email: email, PasswordHash: "x", Role: store.RoleSeller, StoreName: name})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	s.full, s.plain, s.mailOnly = seller("full@example.com", "Full Shop"), seller("plain@example.com", "Plain Shop"), seller("mail@example.com", "Mail Shop")
	if _, err := s.st.PutNotificationPreferences(ctx, *s.full.SellerID, store.NotificationPreferences{
		Channels: []string{"email", "sms", "inapp"}, Email: "alerts@full.example", Phone: "+14155552671"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.PutNotificationPreferences(ctx, *s.mailOnly.SellerID, store.NotificationPreferences{Channels: []string{"email"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.st.Pool.QueryRow(ctx, `INSERT INTO categories (name, slug) VALUES ('Garden', 'garden') RETURNING id`).Scan(&s.category); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSellerIDsAfterPagesInIDOrder(t *testing.T) {
	t.Parallel()
	s := newDigestShop(t)
	ctx := context.Background()
	var all []string
	after := ""
	for {
		page, err := s.st.SellerIDsAfter(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Fatalf("page of %d ids, limit 2", len(page))
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1]
	}
	want := []string{*s.full.SellerID, *s.plain.SellerID, *s.mailOnly.SellerID}
	slices.Sort(want)
	if strings.Join(all, ",") != strings.Join(want, ",") {
		t.Errorf("paged %v, want %v", all, want)
	}
}

// Each seller comes with its account and its preferences; one without preferences gets the
// defaults, and a seller id that does not exist is left out.
func TestDigestSellersWithPreferences(t *testing.T) {
	t.Parallel()
	s := newDigestShop(t)
	gone := "00000000-0000-0000-0000-0000000000ff"
	got, err := s.st.DigestSellers(context.Background(), []string{*s.full.SellerID, *s.plain.SellerID, *s.mailOnly.SellerID, gone})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.DigestSeller{
		*s.full.SellerID: {ID: *s.full.SellerID, StoreName: "Full Shop", UserID: s.full.ID, AccountEmail: "full@example.com",
			Prefs: store.NotificationPreferences{Channels: []string{"email", "sms", "inapp"}, Email: "alerts@full.example", Phone: "+14155552671"}},
		*s.plain.SellerID: {ID: *s.plain.SellerID, StoreName: "Plain Shop", UserID: s.plain.ID, AccountEmail: "plain@example.com",
			Prefs: store.DefaultNotificationPreferences()},
		*s.mailOnly.SellerID: {ID: *s.mailOnly.SellerID, StoreName: "Mail Shop", UserID: s.mailOnly.ID, AccountEmail: "mail@example.com",
			Prefs: store.NotificationPreferences{Channels: []string{"email"}}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d sellers, want %d: %+v", len(got), len(want), got)
	}
	for id, w := range want {
		g := got[id]
		slices.Sort(g.Prefs.Channels)
		slices.Sort(w.Prefs.Channels)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("seller %s = %+v, want %+v", w.StoreName, g, w)
		}
	}
}

// Sales are summed per seller, day of the given zone and currency, only inside [from, to).
func TestSellerDailySalesByDayOfTheZone(t *testing.T) {
	t.Parallel()
	s := newDigestShop(t)
	ctx := context.Background()
	full, plain := *s.full.SellerID, *s.plain.SellerID
	for _, r := range []struct {
		at            string
		seller        string
		product       int64
		cur           string
		units, amount int64
	}{
		{"2026-11-20T00:00:00Z", full, 1, "EUR", 3, 3000},
		{"2026-11-20T13:00:00Z", full, 1, "EUR", 2, 2000},
		{"2026-11-20T23:00:00Z", full, 2, "USD", 4, 1999}, // the 21st in Berlin
		{"2026-11-19T10:00:00Z", full, 1, "EUR", 7, 7000},
		{"2026-11-18T22:00:00Z", full, 1, "EUR", 50, 50000}, // before from
		{"2026-11-21T23:00:00Z", full, 1, "EUR", 90, 90000}, // at to
		{"2026-11-20T10:00:00Z", plain, 3, "EUR", 1, 500},
	} {
		at, err := time.Parse(time.RFC3339, r.at)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.st.Pool.Exec(ctx, `INSERT INTO sales_hourly (hour, product_id, currency, category_id, seller_id, units, revenue_cents, lines)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 1)`, at, r.product, r.cur, s.category, r.seller, r.units, r.amount); err != nil {
			t.Fatal(err)
		}
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 19, 0, 0, 0, 0, berlin)
	to := time.Date(2026, 11, 22, 0, 0, 0, 0, berlin)
	got, err := s.st.SellerDailySales(ctx, []string{full, *s.mailOnly.SellerID}, from, to, berlin)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]store.DaySales{full: {
		{Day: "2026-11-19", Currency: "EUR", Units: 7, Revenue: 7000},
		{Day: "2026-11-20", Currency: "EUR", Units: 5, Revenue: 5000},
		{Day: "2026-11-21", Currency: "USD", Units: 4, Revenue: 1999},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sales = %+v, want %+v (plain was not asked for, mail-only sold nothing)", got, want)
	}
}

func TestCategoryNames(t *testing.T) {
	t.Parallel()
	s := newDigestShop(t)
	got, err := s.st.CategoryNames(context.Background(), []int64{s.category, s.category + 1000})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int64]string{s.category: "Garden"}; !reflect.DeepEqual(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
}
