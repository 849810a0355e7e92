package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// shippingZoneView is the API's ShippingZone.
type shippingZoneView struct {
	ID        int64                `json:"id"`
	Name      string               `json:"name"`
	Countries []string             `json:"countries"`
	Methods   []shippingMethodView `json:"methods"`
}

// shippingMethodView is the API's ShippingMethod.
type shippingMethodView struct {
	ID            int64  `json:"id"`
	ZoneID        int64  `json:"zone_id"`
	Code          string `json:"code"`
	Name          string `json:"name"`
	Kind          string `json:"kind"`
	Currency      string `json:"currency"`
	PriceCents    int64  `json:"price_cents"`
	PerKgCents    int64  `json:"per_kg_cents"`
	FreeOverCents *int64 `json:"free_over_cents"`
	Active        bool   `json:"active"`
}

const zonesPath = "/api/v1/admin/shipping/zones"

func zonePath(id int64) string    { return fmt.Sprintf("%s/%d", zonesPath, id) }
func methodPath(id int64) string  { return fmt.Sprintf("/api/v1/admin/shipping/methods/%d", id) }
func methodsPath(id int64) string { return zonePath(id) + "/methods" }

// count is the number of rows of table, to prove a refused request changed nothing.
func (e *testEnv) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// tableSnapshot is a table's rows as text, to prove a refused change changed nothing.
func (e *testEnv) tableSnapshot(table string) string {
	e.t.Helper()
	var s string
	if err := e.Store.Pool.QueryRow(context.Background(),
		`SELECT coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '') FROM `+table+` t`).Scan(&s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *testEnv) newZone(admin account, name string, countries ...string) shippingZoneView {
	e.t.Helper()
	var z shippingZoneView
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: zonesPath, Token: admin.Token,
		Body: map[string]any{"name": name, "countries": countries}}).JSON(e.t, &z)
	return z
}

func TestShippingZonesCRUD(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.newAdmin()

	res := e.mustDo(http.StatusCreated, req{Method: "POST", Path: zonesPath, Token: admin.Token,
		Body:   map[string]any{"name": " Europe ", "countries": []string{"DE", "AT", "FR"}},
		Header: map[string]string{"Idempotency-Key": "zone-1"}})
	var eu shippingZoneView
	res.JSON(t, &eu)
	if eu.Name != "Europe" || fmt.Sprint(eu.Countries) != "[AT DE FR]" {
		t.Errorf("created zone = %+v, want Europe with AT DE FR", eu)
	}
	if loc := res.Header.Get("Location"); loc != zonePath(eu.ID) {
		t.Errorf("Location = %q", loc)
	}
	// The same key and body replays the first answer and creates nothing.
	replay := e.mustDo(http.StatusCreated, req{Method: "POST", Path: zonesPath, Token: admin.Token,
		Body:   map[string]any{"name": " Europe ", "countries": []string{"DE", "AT", "FR"}},
		Header: map[string]string{"Idempotency-Key": "zone-1"}})
	if replay.Header.Get("Idempotent-Replayed") != "true" || e.count("shipping_zones") != 1 {
		t.Errorf("replay: header %q, zones %d", replay.Header.Get("Idempotent-Replayed"), e.count("shipping_zones"))
	}
	us := e.newZone(admin, "North America", "US", "CA")
	empty := e.newZone(admin, "Later")
	if empty.Countries == nil || len(empty.Countries) != 0 {
		t.Errorf("zone without countries = %+v, want countries []", empty)
	}

	var page struct {
		Items      []shippingZoneView `json:"items"`
		NextCursor *string            `json:"next_cursor"`
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: zonesPath, Token: admin.Token}).JSON(t, &page)
	if len(page.Items) != 3 || page.Items[0].Name != "Europe" || page.Items[2].Name != "North America" || page.NextCursor != nil {
		t.Errorf("list = %+v, want Europe, Later, North America", page)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: zonesPath + "?limit=2", Token: admin.Token}).JSON(t, &page)
	if len(page.Items) != 2 || page.NextCursor == nil {
		t.Fatalf("first page of 2 = %+v", page)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: zonesPath + "?limit=2&cursor=" + *page.NextCursor, Token: admin.Token}).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != us.ID || page.NextCursor != nil {
		t.Errorf("second page = %+v", page)
	}

	// Rename, and move FR out and CH in; a country may move from one zone to another in two steps.
	var changed shippingZoneView
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: zonePath(eu.ID), Token: admin.Token,
		Body: map[string]any{"name": "EU+", "countries": []string{"DE", "AT", "CH"}}}).JSON(t, &changed)
	if changed.Name != "EU+" || fmt.Sprint(changed.Countries) != "[AT CH DE]" {
		t.Errorf("patched zone = %+v", changed)
	}
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: zonePath(empty.ID), Token: admin.Token,
		Body: map[string]any{"countries": []string{"FR"}}}).JSON(t, &changed)
	if changed.Name != "Later" || fmt.Sprint(changed.Countries) != "[FR]" {
		t.Errorf("FR moved = %+v", changed)
	}
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: zonePath(empty.ID), Token: admin.Token, Body: map[string]any{}}).JSON(t, &changed)
	if fmt.Sprint(changed.Countries) != "[FR]" {
		t.Errorf("empty PATCH changed the zone: %+v", changed)
	}

	// GET one shows the methods.
	m := e.newMethod(admin, eu.ID, map[string]any{"code": "standard", "name": "Standard", "kind": "flat", "currency": "EUR", "price_cents": 499})
	var got shippingZoneView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: zonePath(eu.ID), Token: admin.Token}).JSON(t, &got)
	if len(got.Methods) != 1 || got.Methods[0].ID != m.ID {
		t.Errorf("GET zone = %+v, want its method %d", got, m.ID)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: zonePath(us.ID), Token: admin.Token}).JSON(t, &got)
	if got.Methods == nil || len(got.Methods) != 0 {
		t.Errorf("GET zone without methods = %+v, want methods []", got)
	}

	// Deleting a zone takes its countries and methods with it.
	e.mustDo(http.StatusNoContent, req{Method: "DELETE", Path: zonePath(eu.ID), Token: admin.Token})
	e.mustDo(http.StatusNotFound, req{Method: "GET", Path: zonePath(eu.ID), Token: admin.Token})
	e.mustDo(http.StatusNotFound, req{Method: "DELETE", Path: zonePath(eu.ID), Token: admin.Token})
	if n := e.count("shipping_methods"); n != 0 {
		t.Errorf("%d methods left after their zone was deleted", n)
	}
	e.newZone(admin, "Germany again", "DE") // DE is free again
}

func TestShippingZoneRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smallBodies)
	admin, seller, customer := e.newAdmin(), e.newSeller(), e.newCustomer()
	eu := e.newZone(admin, "Europe", "DE", "AT")
	other := e.newZone(admin, "Other", "US")
	before := e.tableSnapshot("shipping_zones") + e.tableSnapshot("shipping_zone_countries")

	for _, tc := range []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		want   caseWant
	}{
		{"anonymous", "POST", zonesPath, "", map[string]any{"name": "X"}, caseWant{401, "unauthorized", "", ""}},
		{"customer", "POST", zonesPath, customer.Token, map[string]any{"name": "X"}, caseWant{403, "forbidden", "", ""}},
		{"seller", "POST", zonesPath, seller.Token, map[string]any{"name": "X"}, caseWant{403, "forbidden", "", ""}},
		{"seller lists", "GET", zonesPath, seller.Token, nil, caseWant{403, "forbidden", "", ""}},
		{"customer reads", "GET", zonePath(eu.ID), customer.Token, nil, caseWant{403, "forbidden", "", ""}},
		{"seller patches", "PATCH", zonePath(eu.ID), seller.Token, map[string]any{"name": "X"}, caseWant{403, "forbidden", "", ""}},
		{"customer deletes", "DELETE", zonePath(eu.ID), customer.Token, nil, caseWant{403, "forbidden", "", ""}},
		{"name missing", "POST", zonesPath, admin.Token, map[string]any{"countries": []string{"FR"}}, caseWant{422, "validation", "name", ""}},
		{"name blank", "POST", zonesPath, admin.Token, map[string]any{"name": "  "}, caseWant{422, "validation", "name", ""}},
		{"name too long", "POST", zonesPath, admin.Token, map[string]any{"name": strings.Repeat("z", 121)}, caseWant{422, "validation", "name", ""}},
		{"name taken in another case", "POST", zonesPath, admin.Token, map[string]any{"name": "EUROPE"}, caseWant{409, "conflict", "name", ""}},
		{"country lower case", "POST", zonesPath, admin.Token, map[string]any{"name": "X", "countries": []string{"fr"}}, caseWant{422, "validation", "countries[0]", ""}},
		{"country unassigned", "POST", zonesPath, admin.Token, map[string]any{"name": "X", "countries": []string{"FR", "XX"}}, caseWant{422, "validation", "countries[1]", ""}},
		{"country twice", "POST", zonesPath, admin.Token, map[string]any{"name": "X", "countries": []string{"FR", "FR"}}, caseWant{422, "validation", "countries[1]", ""}},
		{"country in another zone", "POST", zonesPath, admin.Token, map[string]any{"name": "X", "countries": []string{"FR", "DE"}}, caseWant{409, "conflict", "countries", ""}},
		{"countries not an array", "POST", zonesPath, admin.Token, map[string]any{"name": "X", "countries": "DE"}, caseWant{400, "invalid", "countries", ""}},
		{"unknown field", "POST", zonesPath, admin.Token, map[string]any{"name": "X", "methods": []any{}}, caseWant{400, "invalid", "methods", ""}},
		{"malformed", "POST", zonesPath, admin.Token, `{"name":`, caseWant{400, "invalid", "", ""}},
		{"too large", "POST", zonesPath, admin.Token, map[string]any{"name": strings.Repeat("n", 70<<10)}, caseWant{413, "too_large", "", ""}},
		{"patch name null", "PATCH", zonePath(eu.ID), admin.Token, map[string]any{"name": nil}, caseWant{400, "invalid", "name", ""}},
		{"patch countries null", "PATCH", zonePath(eu.ID), admin.Token, map[string]any{"countries": nil}, caseWant{400, "invalid", "countries", ""}},
		{"patch name taken", "PATCH", zonePath(eu.ID), admin.Token, map[string]any{"name": "other"}, caseWant{409, "conflict", "name", ""}},
		{"patch country in another zone", "PATCH", zonePath(eu.ID), admin.Token, map[string]any{"name": "Renamed", "countries": []string{"DE", "US"}}, caseWant{409, "conflict", "countries", ""}},
		{"patch country invalid", "PATCH", zonePath(eu.ID), admin.Token, map[string]any{"countries": []string{"DEU"}}, caseWant{422, "validation", "countries[0]", ""}},
		{"patch unknown zone", "PATCH", zonePath(eu.ID + 1000), admin.Token, map[string]any{"name": "X"}, caseWant{404, "not_found", "", ""}},
		{"get unknown zone", "GET", zonePath(eu.ID + 1000), admin.Token, nil, caseWant{404, "not_found", "", ""}},
		{"bad id", "GET", zonesPath + "/abc", admin.Token, nil, caseWant{400, "invalid", "", ""}},
		{"list bad limit", "GET", zonesPath + "?limit=0", admin.Token, nil, caseWant{400, "invalid", "", "limit"}},
		{"list unknown parameter", "GET", zonesPath + "?country=DE", admin.Token, nil, caseWant{400, "invalid", "", "country"}},
	} {
		tc.want.check(t, tc.name, e.do(req{Method: tc.method, Path: tc.path, Token: tc.token, Body: tc.body}))
	}
	res := e.mustDo(http.StatusConflict, req{Method: "POST", Path: zonesPath, Token: admin.Token,
		Body: map[string]any{"name": "X", "countries": []string{"US"}}})
	if ev := catErr(t, res); !strings.Contains(ev.Error.Message, "Other") || ev.Error.Details["zone_id"] != float64(other.ID) {
		t.Errorf("country in another zone: %s, want the message and details.zone_id to name zone Other", res.Body)
	}
	if after := e.tableSnapshot("shipping_zones") + e.tableSnapshot("shipping_zone_countries"); after != before {
		t.Errorf("refused requests changed zones:\nbefore %s\nafter  %s", before, after)
	}
}

func (e *testEnv) newMethod(admin account, zoneID int64, body map[string]any) shippingMethodView {
	e.t.Helper()
	var m shippingMethodView
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: methodsPath(zoneID), Token: admin.Token, Body: body}).JSON(e.t, &m)
	return m
}

func TestShippingMethodsCRUD(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.newAdmin()
	eu := e.newZone(admin, "Europe", "DE")

	res := e.mustDo(http.StatusCreated, req{Method: "POST", Path: methodsPath(eu.ID), Token: admin.Token,
		Header: map[string]string{"Idempotency-Key": "m-1"},
		Body: map[string]any{"code": "dhl-parcel", "name": "DHL Parcel", "kind": "weight", "currency": "EUR",
			"price_cents": 399, "per_kg_cents": 100, "free_over_cents": 5000}})
	var w shippingMethodView
	res.JSON(t, &w)
	if w.ZoneID != eu.ID || w.Kind != "weight" || w.PerKgCents != 100 || w.FreeOverCents == nil || *w.FreeOverCents != 5000 || !w.Active {
		t.Errorf("weight method = %+v", w)
	}
	if res.Header.Get("Location") != methodPath(w.ID) {
		t.Errorf("Location = %q", res.Header.Get("Location"))
	}
	flat := e.newMethod(admin, eu.ID, map[string]any{"code": "express", "name": "Express", "kind": "flat", "currency": "EUR",
		"price_cents": 0, "active": false})
	if flat.FreeOverCents != nil || flat.PerKgCents != 0 || flat.Active || flat.PriceCents != 0 {
		t.Errorf("flat method = %+v, want free never, inactive, price 0", flat)
	}
	// Codes are unique per zone only.
	other := e.newZone(admin, "Other", "US")
	e.newMethod(admin, other.ID, map[string]any{"code": "express", "name": "Express", "kind": "flat", "currency": "USD", "price_cents": 900})

	var page struct {
		Items      []shippingMethodView `json:"items"`
		NextCursor *string              `json:"next_cursor"`
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: methodsPath(eu.ID), Token: admin.Token}).JSON(t, &page)
	if len(page.Items) != 2 || page.Items[0].Code != "dhl-parcel" || page.Items[1].Code != "express" || page.NextCursor != nil {
		t.Errorf("methods = %+v", page)
	}

	// Weight to flat with per_kg_cents 0; free_over_cents null makes it never free.
	var changed shippingMethodView
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: methodPath(w.ID), Token: admin.Token,
		Body: map[string]any{"kind": "flat", "per_kg_cents": 0, "free_over_cents": nil, "price_cents": 100000000, "name": "DHL"}}).JSON(t, &changed)
	if changed.Kind != "flat" || changed.PerKgCents != 0 || changed.FreeOverCents != nil || changed.PriceCents != 100000000 ||
		changed.Name != "DHL" || changed.Code != "dhl-parcel" || !changed.Active {
		t.Errorf("patched method = %+v", changed)
	}
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: methodPath(w.ID), Token: admin.Token,
		Body: map[string]any{"free_over_cents": 100000000000, "active": false}}).JSON(t, &changed)
	if changed.FreeOverCents == nil || *changed.FreeOverCents != 100000000000 || changed.Active {
		t.Errorf("patched method = %+v", changed)
	}

	e.mustDo(http.StatusNoContent, req{Method: "DELETE", Path: methodPath(flat.ID), Token: admin.Token})
	e.mustDo(http.StatusNotFound, req{Method: "DELETE", Path: methodPath(flat.ID), Token: admin.Token})
	e.mustDo(http.StatusNotFound, req{Method: "PATCH", Path: methodPath(flat.ID), Token: admin.Token, Body: map[string]any{"name": "X"}})
}

func TestShippingMethodRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller, customer := e.newAdmin(), e.newSeller(), e.newCustomer()
	eu := e.newZone(admin, "Europe", "DE")
	weight := e.newMethod(admin, eu.ID, map[string]any{"code": "parcel", "name": "Parcel", "kind": "weight", "currency": "EUR",
		"price_cents": 399, "per_kg_cents": 50})
	flat := e.newMethod(admin, eu.ID, map[string]any{"code": "letter", "name": "Letter", "kind": "flat", "currency": "EUR", "price_cents": 99})
	before := e.tableSnapshot("shipping_methods")

	valid := func(over map[string]any) map[string]any {
		b := map[string]any{"code": "new", "name": "New", "kind": "flat", "currency": "EUR", "price_cents": 100}
		for k, v := range over {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	post := methodsPath(eu.ID)
	for _, tc := range []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		want   caseWant
	}{
		{"customer creates", "POST", post, customer.Token, valid(nil), caseWant{403, "forbidden", "", ""}},
		{"seller creates", "POST", post, seller.Token, valid(nil), caseWant{403, "forbidden", "", ""}},
		{"seller lists", "GET", post, seller.Token, nil, caseWant{403, "forbidden", "", ""}},
		{"customer patches", "PATCH", methodPath(flat.ID), customer.Token, map[string]any{"price_cents": 1}, caseWant{403, "forbidden", "", ""}},
		{"seller deletes", "DELETE", methodPath(flat.ID), seller.Token, nil, caseWant{403, "forbidden", "", ""}},
		{"negative price", "POST", post, admin.Token, valid(map[string]any{"price_cents": -1}), caseWant{422, "validation", "price_cents", ""}},
		{"absurd price", "POST", post, admin.Token, valid(map[string]any{"price_cents": 100000001}), caseWant{422, "validation", "price_cents", ""}},
		{"price beyond int64", "POST", post, admin.Token, `{"code":"x","name":"X","kind":"flat","currency":"EUR","price_cents":1e30}`, caseWant{400, "invalid", "price_cents", ""}},
		{"fractional price", "POST", post, admin.Token, valid(map[string]any{"price_cents": 1.5}), caseWant{400, "invalid", "price_cents", ""}},
		{"price missing", "POST", post, admin.Token, valid(map[string]any{"price_cents": nil}), caseWant{422, "validation", "price_cents", ""}},
		{"negative per kg", "POST", post, admin.Token, valid(map[string]any{"kind": "weight", "per_kg_cents": -5}), caseWant{422, "validation", "per_kg_cents", ""}},
		{"per kg on flat", "POST", post, admin.Token, valid(map[string]any{"per_kg_cents": 5}), caseWant{422, "validation", "per_kg_cents", ""}},
		{"negative free over", "POST", post, admin.Token, valid(map[string]any{"free_over_cents": -1}), caseWant{422, "validation", "free_over_cents", ""}},
		{"absurd free over", "POST", post, admin.Token, valid(map[string]any{"free_over_cents": 100000000001}), caseWant{422, "validation", "free_over_cents", ""}},
		{"kind unknown", "POST", post, admin.Token, valid(map[string]any{"kind": "pigeon"}), caseWant{422, "validation", "kind", ""}},
		{"currency unknown", "POST", post, admin.Token, valid(map[string]any{"currency": "XYZ"}), caseWant{422, "validation", "currency", ""}},
		{"code not a slug", "POST", post, admin.Token, valid(map[string]any{"code": "Next Day"}), caseWant{422, "validation", "code", ""}},
		{"code too long", "POST", post, admin.Token, valid(map[string]any{"code": strings.Repeat("c", 61)}), caseWant{422, "validation", "code", ""}},
		{"name blank", "POST", post, admin.Token, valid(map[string]any{"name": " "}), caseWant{422, "validation", "name", ""}},
		{"code taken in zone", "POST", post, admin.Token, valid(map[string]any{"code": "letter"}), caseWant{409, "conflict", "code", ""}},
		{"unknown zone", "POST", methodsPath(eu.ID + 1000), admin.Token, valid(nil), caseWant{404, "not_found", "", ""}},
		{"list unknown zone", "GET", methodsPath(eu.ID + 1000), admin.Token, nil, caseWant{404, "not_found", "", ""}},
		{"zone_id comes from the path", "POST", post, admin.Token, valid(map[string]any{"zone_id": eu.ID}), caseWant{400, "invalid", "zone_id", ""}},
		{"patch negative price", "PATCH", methodPath(flat.ID), admin.Token, map[string]any{"price_cents": -100}, caseWant{422, "validation", "price_cents", ""}},
		{"patch absurd price", "PATCH", methodPath(flat.ID), admin.Token, map[string]any{"price_cents": 1 << 40}, caseWant{422, "validation", "price_cents", ""}},
		{"patch price null", "PATCH", methodPath(flat.ID), admin.Token, map[string]any{"price_cents": nil}, caseWant{400, "invalid", "price_cents", ""}},
		{"patch per kg on flat", "PATCH", methodPath(flat.ID), admin.Token, map[string]any{"per_kg_cents": 10}, caseWant{422, "validation", "per_kg_cents", ""}},
		{"patch weight to flat keeping per kg", "PATCH", methodPath(weight.ID), admin.Token, map[string]any{"kind": "flat"}, caseWant{422, "validation", "kind", ""}},
		{"patch code taken", "PATCH", methodPath(flat.ID), admin.Token, map[string]any{"code": "parcel"}, caseWant{409, "conflict", "code", ""}},
		{"patch code invalid", "PATCH", methodPath(flat.ID), admin.Token, map[string]any{"code": "-x"}, caseWant{422, "validation", "code", ""}},
		{"patch unknown", "PATCH", methodPath(flat.ID + 1000), admin.Token, map[string]any{"name": "X"}, caseWant{404, "not_found", "", ""}},
	} {
		tc.want.check(t, tc.name, e.do(req{Method: tc.method, Path: tc.path, Token: tc.token, Body: tc.body}))
	}
	if after := e.tableSnapshot("shipping_methods"); after != before {
		t.Errorf("refused requests changed methods:\nbefore %s\nafter  %s", before, after)
	}
}
