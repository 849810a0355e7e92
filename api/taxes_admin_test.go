package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// taxRateView is the API's TaxRate.
type taxRateView struct {
	ID       int64  `json:"id"`
	Country  string `json:"country"`
	Region   string `json:"region"`
	TaxClass string `json:"tax_class"`
	Rate     string `json:"rate"`
	RatePPM  int    `json:"rate_ppm"`
	Name     string `json:"name"`
}

const taxRatesPath = "/api/v1/admin/tax-rates"

func taxRatePath(id int64) string { return fmt.Sprintf("%s/%d", taxRatesPath, id) }

func (e *testEnv) newTaxRate(admin account, body map[string]any) taxRateView {
	e.t.Helper()
	var r taxRateView
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: taxRatesPath, Token: admin.Token, Body: body}).JSON(e.t, &r)
	return r
}

func TestTaxRatesCRUD(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.newAdmin()

	res := e.mustDo(http.StatusCreated, req{Method: "POST", Path: taxRatesPath, Token: admin.Token,
		Header: map[string]string{"Idempotency-Key": "vat-de"},
		Body:   map[string]any{"country": "DE", "rate": "19", "name": " VAT "}})
	var de taxRateView
	res.JSON(t, &de)
	if de.Country != "DE" || de.Region != "" || de.TaxClass != "standard" || de.Rate != "19" || de.RatePPM != 190000 || de.Name != "VAT" {
		t.Errorf("DE rate = %+v, want standard 19%% = 190000 ppm for the whole country", de)
	}
	if res.Header.Get("Location") != taxRatePath(de.ID) {
		t.Errorf("Location = %q", res.Header.Get("Location"))
	}
	ny := e.newTaxRate(admin, map[string]any{"country": "US", "region": "ny", "tax_class": "standard", "rate": "8.875"})
	if ny.Region != "NY" || ny.Rate != "8.875" || ny.RatePPM != 88750 {
		t.Errorf("NY rate = %+v, want region NY, 8.875 = 88750 ppm", ny)
	}
	for _, c := range []struct {
		rate string
		ppm  int
		back string
	}{{"0", 0, "0"}, {"100", 1000000, "100"}, {"7.0000", 70000, "7"}, {"0.0001", 1, "0.0001"}, {"5.5", 55000, "5.5"}} {
		r := e.newTaxRate(admin, map[string]any{"country": "FR", "tax_class": "c" + randHex(3), "rate": c.rate})
		if r.RatePPM != c.ppm || r.Rate != c.back {
			t.Errorf("rate %q = %d ppm %q, want %d ppm %q", c.rate, r.RatePPM, r.Rate, c.ppm, c.back)
		}
	}
	reduced := e.newTaxRate(admin, map[string]any{"country": "DE", "tax_class": "reduced", "rate": "7"})

	var page struct {
		Items      []taxRateView `json:"items"`
		NextCursor *string       `json:"next_cursor"`
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: taxRatesPath + "?country=de", Token: admin.Token}).JSON(t, &page)
	if len(page.Items) != 2 || page.Items[0].TaxClass != "reduced" || page.Items[1].ID != de.ID || page.NextCursor != nil {
		t.Errorf("DE rates = %+v, want reduced then standard", page)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: taxRatesPath + "?limit=3", Token: admin.Token}).JSON(t, &page)
	if len(page.Items) != 3 || page.NextCursor == nil {
		t.Errorf("first page of all rates = %+v", page)
	}

	var changed taxRateView
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: taxRatePath(reduced.ID), Token: admin.Token,
		Body: map[string]any{"rate": "7.5", "region": "by", "name": "Reduced"}}).JSON(t, &changed)
	if changed.RatePPM != 75000 || changed.Rate != "7.5" || changed.Region != "BY" || changed.Name != "Reduced" || changed.TaxClass != "reduced" {
		t.Errorf("patched rate = %+v", changed)
	}
	e.mustDo(http.StatusNoContent, req{Method: "DELETE", Path: taxRatePath(reduced.ID), Token: admin.Token})
	e.mustDo(http.StatusNotFound, req{Method: "DELETE", Path: taxRatePath(reduced.ID), Token: admin.Token})
	e.mustDo(http.StatusNotFound, req{Method: "PATCH", Path: taxRatePath(reduced.ID), Token: admin.Token, Body: map[string]any{"rate": "1"}})
}

func TestTaxRateRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller, customer := e.newAdmin(), e.newSeller(), e.newCustomer()
	de := e.newTaxRate(admin, map[string]any{"country": "DE", "rate": "19"})
	e.newTaxRate(admin, map[string]any{"country": "DE", "tax_class": "reduced", "rate": "7"})
	before := e.tableSnapshot("tax_rates")

	valid := map[string]any{"country": "AT", "rate": "20"}
	with := func(k string, v any) map[string]any {
		b := map[string]any{}
		for kk, vv := range valid {
			b[kk] = vv
		}
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	for _, tc := range []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		want   caseWant
	}{
		{"customer creates", "POST", taxRatesPath, customer.Token, valid, caseWant{403, "forbidden", "", ""}},
		{"seller creates", "POST", taxRatesPath, seller.Token, valid, caseWant{403, "forbidden", "", ""}},
		{"seller lists", "GET", taxRatesPath, seller.Token, nil, caseWant{403, "forbidden", "", ""}},
		{"customer patches", "PATCH", taxRatePath(de.ID), customer.Token, map[string]any{"rate": "1"}, caseWant{403, "forbidden", "", ""}},
		{"seller deletes", "DELETE", taxRatePath(de.ID), seller.Token, nil, caseWant{403, "forbidden", "", ""}},
		{"anonymous lists", "GET", taxRatesPath, "", nil, caseWant{401, "unauthorized", "", ""}},
		{"rate missing", "POST", taxRatesPath, admin.Token, with("rate", nil), caseWant{422, "validation", "rate", ""}},
		{"rate negative", "POST", taxRatesPath, admin.Token, with("rate", "-1"), caseWant{422, "validation", "rate", ""}},
		{"rate above 100", "POST", taxRatesPath, admin.Token, with("rate", "100.0001"), caseWant{422, "validation", "rate", ""}},
		{"rate absurd", "POST", taxRatesPath, admin.Token, with("rate", "1900"), caseWant{422, "validation", "rate", ""}},
		{"rate five decimals", "POST", taxRatesPath, admin.Token, with("rate", "8.87501"), caseWant{422, "validation", "rate", ""}},
		{"rate with a percent sign", "POST", taxRatesPath, admin.Token, with("rate", "19%"), caseWant{422, "validation", "rate", ""}},
		{"rate exponent", "POST", taxRatesPath, admin.Token, with("rate", "1e1"), caseWant{422, "validation", "rate", ""}},
		{"rate as a number", "POST", taxRatesPath, admin.Token, with("rate", 19), caseWant{400, "invalid", "rate", ""}},
		{"country missing", "POST", taxRatesPath, admin.Token, with("country", nil), caseWant{422, "validation", "country", ""}},
		{"country lower case", "POST", taxRatesPath, admin.Token, with("country", "at"), caseWant{422, "validation", "country", ""}},
		{"country unassigned", "POST", taxRatesPath, admin.Token, with("country", "QQ"), caseWant{422, "validation", "country", ""}},
		{"class invalid", "POST", taxRatesPath, admin.Token, with("tax_class", "Reduced Food"), caseWant{422, "validation", "tax_class", ""}},
		{"class empty", "POST", taxRatesPath, admin.Token, with("tax_class", ""), caseWant{422, "validation", "tax_class", ""}},
		{"region too long", "POST", taxRatesPath, admin.Token, with("region", strings.Repeat("R", 101)), caseWant{422, "validation", "region", ""}},
		{"name too long", "POST", taxRatesPath, admin.Token, with("name", strings.Repeat("n", 121)), caseWant{422, "validation", "name", ""}},
		{"rate_ppm is read-only", "POST", taxRatesPath, admin.Token, with("rate_ppm", 200000), caseWant{400, "invalid", "rate_ppm", ""}},
		{"duplicate country and class", "POST", taxRatesPath, admin.Token, map[string]any{"country": "DE", "rate": "16"}, caseWant{409, "conflict", "tax_class", ""}},
		{"duplicate with explicit region", "POST", taxRatesPath, admin.Token, map[string]any{"country": "DE", "region": " ", "tax_class": "reduced", "rate": "5"}, caseWant{409, "conflict", "tax_class", ""}},
		{"patch onto another rate", "PATCH", taxRatePath(de.ID), admin.Token, map[string]any{"tax_class": "reduced"}, caseWant{409, "conflict", "tax_class", ""}},
		{"patch rate invalid", "PATCH", taxRatePath(de.ID), admin.Token, map[string]any{"rate": "101"}, caseWant{422, "validation", "rate", ""}},
		{"patch rate null", "PATCH", taxRatePath(de.ID), admin.Token, map[string]any{"rate": nil}, caseWant{400, "invalid", "rate", ""}},
		{"patch class invalid", "PATCH", taxRatePath(de.ID), admin.Token, map[string]any{"tax_class": "9lives"}, caseWant{422, "validation", "tax_class", ""}},
		{"patch country invalid", "PATCH", taxRatePath(de.ID), admin.Token, map[string]any{"country": "Germany"}, caseWant{422, "validation", "country", ""}},
		{"patch unknown", "PATCH", taxRatePath(de.ID + 1000), admin.Token, map[string]any{"rate": "1"}, caseWant{404, "not_found", "", ""}},
		{"list bad country", "GET", taxRatesPath + "?country=DEU", admin.Token, nil, caseWant{400, "invalid", "", "country"}},
		{"list bad cursor", "GET", taxRatesPath + "?cursor=abc", admin.Token, nil, caseWant{400, "invalid", "", "cursor"}},
	} {
		tc.want.check(t, tc.name, e.do(req{Method: tc.method, Path: tc.path, Token: tc.token, Body: tc.body}))
	}
	res := e.mustDo(http.StatusConflict, req{Method: "POST", Path: taxRatesPath, Token: admin.Token, Body: map[string]any{"country": "DE", "rate": "16"}})
	if msg := catErr(t, res).Error.Message; !strings.Contains(msg, "DE") || !strings.Contains(msg, "standard") {
		t.Errorf("duplicate message %q does not say which rate", msg)
	}
	if after := e.tableSnapshot("tax_rates"); after != before {
		t.Errorf("refused requests changed tax rates:\nbefore %s\nafter  %s", before, after)
	}
}

// Products carry a weight for shipping and a tax class for taxes.
func TestProductWeightAndTaxClass(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller := e.newAdmin(), e.newSeller()
	cat := e.catCategory(admin, "Weighed "+randHex(3), nil)

	type weighed struct {
		ID          int64  `json:"id"`
		WeightGrams int    `json:"weight_grams"`
		TaxClass    string `json:"tax_class"`
	}
	var plain, heavy weighed
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/products", Token: seller.Token,
		Body: map[string]any{"category_id": cat.ID, "name": "Plain", "price_cents": 100, "currency": "EUR"}}).JSON(t, &plain)
	if plain.WeightGrams != 0 || plain.TaxClass != "standard" {
		t.Errorf("defaults = %+v, want 0 g, standard", plain)
	}
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/products", Token: seller.Token,
		Body: map[string]any{"category_id": cat.ID, "name": "Anvil", "price_cents": 100, "currency": "EUR",
			"weight_grams": 1000000, "tax_class": "reduced_food"}}).JSON(t, &heavy)
	if heavy.WeightGrams != 1000000 || heavy.TaxClass != "reduced_food" {
		t.Errorf("created = %+v", heavy)
	}
	var got weighed
	e.mustDo(http.StatusOK, req{Method: "GET", Path: productPath(heavy.ID)}).JSON(t, &got)
	if got != heavy {
		t.Errorf("GET = %+v, want %+v", got, heavy)
	}
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: productPath(plain.ID), Token: seller.Token,
		Body: map[string]any{"weight_grams": 250, "tax_class": "books"}}).JSON(t, &got)
	if got.WeightGrams != 250 || got.TaxClass != "books" {
		t.Errorf("patched = %+v", got)
	}
	var list struct {
		Items []weighed `json:"items"`
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: fmt.Sprintf("/api/v1/products?category_id=%d&sort=name", cat.ID)}).JSON(t, &list)
	if len(list.Items) != 2 || list.Items[0].TaxClass != "reduced_food" || list.Items[1].WeightGrams != 250 {
		t.Errorf("list = %+v", list.Items)
	}

	before := e.tableSnapshot("products")
	create := func(k string, v any) map[string]any {
		return map[string]any{"category_id": cat.ID, "name": "X", "price_cents": 100, "currency": "EUR", k: v}
	}
	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   any
		want   caseWant
	}{
		{"negative weight", "POST", "/api/v1/products", create("weight_grams", -1), caseWant{422, "validation", "weight_grams", ""}},
		{"absurd weight", "POST", "/api/v1/products", create("weight_grams", 1000001), caseWant{422, "validation", "weight_grams", ""}},
		{"class upper case", "POST", "/api/v1/products", create("tax_class", "Standard"), caseWant{422, "validation", "tax_class", ""}},
		{"class empty", "POST", "/api/v1/products", create("tax_class", ""), caseWant{422, "validation", "tax_class", ""}},
		{"class too long", "POST", "/api/v1/products", create("tax_class", "a"+strings.Repeat("b", 32)), caseWant{422, "validation", "tax_class", ""}},
		{"patch negative weight", "PATCH", productPath(plain.ID), map[string]any{"weight_grams": -5}, caseWant{422, "validation", "weight_grams", ""}},
		{"patch weight null", "PATCH", productPath(plain.ID), map[string]any{"weight_grams": nil}, caseWant{400, "invalid", "weight_grams", ""}},
		{"patch class invalid", "PATCH", productPath(plain.ID), map[string]any{"tax_class": "no spaces"}, caseWant{422, "validation", "tax_class", ""}},
		{"patch class null", "PATCH", productPath(plain.ID), map[string]any{"tax_class": nil}, caseWant{400, "invalid", "tax_class", ""}},
	} {
		tc.want.check(t, tc.name, e.do(req{Method: tc.method, Path: tc.path, Token: seller.Token, Body: tc.body}))
	}
	if after := e.tableSnapshot("products"); after != before {
		t.Errorf("refused requests changed products")
	}
}
