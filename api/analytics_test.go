package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"shopflow/store"
)

// analyticsAnswer is the part of an analytics answer these tests read.
type analyticsAnswer struct {
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Granularity string    `json:"granularity"`
	Periods     []struct {
		Start time.Time            `json:"start"`
		Sales []store.SalesFigures `json:"sales"`
	} `json:"periods"`
	Products   []store.ProductSales  `json:"products"`
	Categories []store.CategorySales `json:"categories"`
	Conversion *store.CartConversion `json:"conversion"`
}

// units is the answer's units per currency over all periods.
func (a analyticsAnswer) units() map[string]int64 {
	out := map[string]int64{}
	for _, p := range a.Periods {
		for _, s := range p.Sales {
			out[s.Currency] += s.Units
		}
	}
	return out
}

// TestAnalyticsViews: a seller sees its own numbers only, whatever it asks; an admin sees any
// seller's (the same answer) and the platform's; other roles are refused.
func TestAnalyticsViews(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	a, b, customer, admin := e.newSeller(), e.newSeller(), e.newCustomer(), e.newAdmin()
	var category int64
	if err := e.Store.Pool.QueryRow(ctx, `INSERT INTO categories (name, slug) VALUES ('Lamps', 'lamps-analytics') RETURNING id`).Scan(&category); err != nil {
		t.Fatal(err)
	}
	product := func(seller string) int64 {
		var id int64
		if err := e.Store.Pool.QueryRow(ctx, `INSERT INTO products (seller_id, category_id, name, price_cents, currency)
			VALUES ($1, $2, 'Lamp', 500, 'EUR') RETURNING id`, seller, category).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	pa, pb := product(*a.SellerID), product(*b.SellerID)
	day := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	if _, err := e.Store.RecordSales(ctx, []store.SaleLine{
		{Source: "legacy", ExternalOrderID: "1", LineNo: 1, OrderedAt: day, ProductID: pa, Quantity: 3, UnitPriceCents: 500, Currency: "EUR"},
		{Source: "legacy", ExternalOrderID: "1", LineNo: 2, OrderedAt: day, ProductID: pb, Quantity: 7, UnitPriceCents: 400, Currency: "EUR"},
		{Source: "legacy", ExternalOrderID: "2", LineNo: 1, OrderedAt: day.Add(26 * time.Hour), ProductID: pb, Quantity: 1, UnitPriceCents: 900, Currency: "USD"},
	}); err != nil {
		t.Fatal(err)
	}
	const query = "?from=2026-05-01&to=2026-05-08&granularity=day"
	get := func(path, token string) analyticsAnswer {
		t.Helper()
		var ans analyticsAnswer
		e.mustDo(http.StatusOK, req{Method: "GET", Path: path + query, Token: token}).JSON(t, &ans)
		if len(ans.Periods) != 7 || ans.Granularity != "day" || !ans.From.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("GET %s: %d periods of %s from %s", path, len(ans.Periods), ans.Granularity, ans.From)
		}
		return ans
	}
	mine := get("/api/v1/sellers/me/analytics", a.Token)
	if u := mine.units(); len(u) != 1 || u["EUR"] != 3 || len(mine.Products) != 1 || mine.Products[0].ProductID != pa || mine.Conversion != nil {
		t.Errorf("seller a sees %v, products %+v, conversion %v; want only its 3 EUR units", u, mine.Products, mine.Conversion)
	}
	theirs := get("/api/v1/sellers/me/analytics", b.Token)
	if u := theirs.units(); len(u) != 2 || u["EUR"] != 7 || u["USD"] != 1 || theirs.Periods[3].Sales[0].Orders != 1 {
		t.Errorf("seller b sees %v: %+v", u, theirs.Periods[3])
	}
	if byAdmin := get("/api/v1/sellers/"+*a.SellerID+"/analytics", admin.Token); byAdmin.units()["EUR"] != 3 || len(byAdmin.Products) != 1 {
		t.Errorf("admin's view of seller a: %+v", byAdmin)
	}
	platform := get("/api/v1/admin/analytics", admin.Token)
	if u := platform.units(); u["EUR"] != 10 || u["USD"] != 1 || platform.Periods[3].Sales[0].Orders != 1 ||
		len(platform.Categories) != 2 || platform.Conversion == nil {
		t.Errorf("platform: units %v, %+v, categories %+v, conversion %v", u, platform.Periods[3], platform.Categories, platform.Conversion)
	}
	for _, c := range []struct {
		name, path, token string
		want              int
	}{
		{"a customer has no analytics", "/api/v1/sellers/me/analytics", customer.Token, http.StatusForbidden},
		{"a seller cannot name another seller", "/api/v1/sellers/" + *b.SellerID + "/analytics", a.Token, http.StatusForbidden},
		{"a seller cannot see the platform", "/api/v1/admin/analytics", a.Token, http.StatusForbidden},
		{"no token", "/api/v1/sellers/me/analytics", "", http.StatusUnauthorized},
		{"an unknown seller", "/api/v1/sellers/00000000-0000-0000-0000-000000000001/analytics", admin.Token, http.StatusNotFound},
	} {
		if res := e.do(req{Method: "GET", Path: c.path + query, Token: c.token}); res.Code != c.want {
			t.Errorf("%s: %d, want %d: %s", c.name, res.Code, c.want, res.Body)
		}
	}
}

// TestAnalyticsBadInput: every malformed range, granularity or limit is a 400 naming the
// parameter.
func TestAnalyticsBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller := e.newSeller()
	for _, c := range []struct{ name, query, param string }{
		{"unknown granularity", "granularity=month", "granularity"},
		{"from not a time", "from=yesterday", "from"},
		{"to not a time", "to=2026-13-01", "to"},
		{"from after to", "from=2026-05-08&to=2026-05-01", "from"},
		{"from equal to", "from=2026-05-01T00:00:00Z&to=2026-05-01T00:00:00Z", "from"},
		{"too many periods", "granularity=hour&from=2025-01-01&to=2026-01-01", "from"},
		{"limit zero", "limit=0", "limit"},
		{"limit too large", "limit=101", "limit"},
		{"unknown parameter", "seller_id=x", "seller_id"},
		{"repeated parameter", "granularity=day&granularity=week", "granularity"},
	} {
		res := e.do(req{Method: "GET", Path: "/api/v1/sellers/me/analytics?" + c.query, Token: seller.Token})
		var body struct {
			Error struct {
				Code    string         `json:"code"`
				Details map[string]any `json:"details"`
			} `json:"error"`
		}
		res.JSON(t, &body)
		if res.Code != http.StatusBadRequest || body.Error.Code != "invalid" || body.Error.Details["parameter"] != c.param {
			t.Errorf("%s: %d %s, want 400 invalid naming %s", c.name, res.Code, res.Body, c.param)
		}
	}
	// Unaligned bounds widen to whole periods; weeks start on Monday.
	var ans analyticsAnswer
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/sellers/me/analytics?granularity=week&from=2026-05-06T10:00:00Z&to=2026-05-13", Token: seller.Token}).JSON(t, &ans)
	if !ans.From.Equal(time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)) || !ans.To.Equal(time.Date(2026, 5, 18, 0, 0, 0, 0, time.UTC)) || len(ans.Periods) != 2 {
		t.Errorf("widened range %s-%s, %d periods; want Monday 4 May to Monday 18 May, 2 weeks", ans.From, ans.To, len(ans.Periods))
	}
}
