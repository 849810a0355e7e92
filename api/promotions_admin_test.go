package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"shopflow/api"
)

// promotionView is the API's Promotion.
type promotionView struct {
	ID               int64      `json:"id"`
	Name             string     `json:"name"`
	Description      string     `json:"description"`
	Code             *string    `json:"code"`
	Kind             string     `json:"kind"`
	Percent          *string    `json:"percent"`
	PercentBP        *int       `json:"percent_bp"`
	AmountCents      *int64     `json:"amount_cents"`
	Currency         *string    `json:"currency"`
	AppliesTo        string     `json:"applies_to"`
	ProductIDs       []int64    `json:"product_ids"`
	CategoryIDs      []int64    `json:"category_ids"`
	MinSubtotalCents int64      `json:"min_subtotal_cents"`
	StartsAt         time.Time  `json:"starts_at"`
	EndsAt           *time.Time `json:"ends_at"`
	UsageLimit       *int       `json:"usage_limit"`
	PerCustomerLimit *int       `json:"per_customer_limit"`
	Uses             int        `json:"uses"`
	Remaining        *int       `json:"remaining"`
	Active           bool       `json:"active"`
	Announce         bool       `json:"announce"`
	Announcement     string     `json:"announcement"`
}

const promotionsPath = "/api/v1/admin/promotions"

func promotionPath(id int64) string { return fmt.Sprintf("%s/%d", promotionsPath, id) }

// fakeAnnouncer records the announcements the API starts; Err makes them fail.
type fakeAnnouncer struct {
	mu    sync.Mutex
	Calls []announcement
	Err   error
}

type announcement struct {
	ID       int64
	StartsAt time.Time
}

func (f *fakeAnnouncer) AnnouncePromotion(_ context.Context, id int64, startsAt time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Calls = append(f.Calls, announcement{id, startsAt})
	return f.Err
}

func (f *fakeAnnouncer) calls() []announcement {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]announcement(nil), f.Calls...)
}

func (e *testEnv) newPromotion(admin account, body map[string]any) promotionView {
	e.t.Helper()
	var p promotionView
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: promotionsPath, Token: admin.Token, Body: body}).JSON(e.t, &p)
	return p
}

func TestPromotionsCRUD(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller := e.newAdmin(), e.newSeller()
	cat := e.catCategory(admin, "Promo "+randHex(3), nil)
	prod := e.catProduct(seller.Token, map[string]any{"category_id": cat.ID})

	res := e.mustDo(http.StatusCreated, req{Method: "POST", Path: promotionsPath, Token: admin.Token,
		Header: map[string]string{"Idempotency-Key": "summer"},
		Body: map[string]any{"name": "Summer", "code": "Summer10", "kind": "percent", "percent": "12.5",
			"starts_at": "2030-06-01T00:00:00+02:00", "ends_at": "2030-09-01T00:00:00Z", "usage_limit": 100, "per_customer_limit": 1}})
	var summer promotionView
	res.JSON(t, &summer)
	if summer.Code == nil || *summer.Code != "Summer10" || summer.PercentBP == nil || *summer.PercentBP != 1250 ||
		summer.Percent == nil || *summer.Percent != "12.5" || summer.AppliesTo != "order" || !summer.Active || summer.Announce ||
		summer.Uses != 0 || summer.Remaining == nil || *summer.Remaining != 100 || summer.AmountCents != nil ||
		!summer.StartsAt.Equal(time.Date(2030, 5, 31, 22, 0, 0, 0, time.UTC)) || summer.EndsAt == nil || summer.Announcement != "" {
		t.Errorf("summer = %+v", summer)
	}
	if res.Header.Get("Location") != promotionPath(summer.ID) {
		t.Errorf("Location = %q", res.Header.Get("Location"))
	}
	if len(summer.ProductIDs) != 0 || summer.ProductIDs == nil || summer.CategoryIDs == nil {
		t.Errorf("ids = %v %v, want [] []", summer.ProductIDs, summer.CategoryIDs)
	}

	before := time.Now().Add(-time.Second)
	fixed := e.newPromotion(admin, map[string]any{"name": "Five off lamps", "kind": "fixed", "amount_cents": 500, "currency": "EUR",
		"applies_to": "products", "product_ids": []int64{prod.ID}, "min_subtotal_cents": 2000})
	if fixed.Code != nil || fixed.AmountCents == nil || *fixed.AmountCents != 500 || fixed.Percent != nil || fixed.Remaining != nil ||
		fixed.StartsAt.Before(before) || fixed.EndsAt != nil || fmt.Sprint(fixed.ProductIDs) != fmt.Sprint([]int64{prod.ID}) {
		t.Errorf("fixed = %+v, want an automatic promotion starting now", fixed)
	}
	ship := e.newPromotion(admin, map[string]any{"name": "Free shipping in a category", "kind": "free_shipping",
		"applies_to": "categories", "category_ids": []int64{cat.ID}, "code": "SHIPFREE", "active": false})
	if ship.Active || fmt.Sprint(ship.CategoryIDs) != fmt.Sprint([]int64{cat.ID}) {
		t.Errorf("free shipping = %+v", ship)
	}

	var got promotionView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: promotionPath(summer.ID), Token: admin.Token}).JSON(t, &got)
	if got.ID != summer.ID || *got.Code != "Summer10" || got.Announcement != "" {
		t.Errorf("GET = %+v", got)
	}

	// Lists: newest first, paged, filtered by active and by code ignoring case.
	type page struct {
		Items      []promotionView `json:"items"`
		NextCursor *string         `json:"next_cursor"`
	}
	var p page
	e.mustDo(http.StatusOK, req{Method: "GET", Path: promotionsPath + "?limit=2", Token: admin.Token}).JSON(t, &p)
	if len(p.Items) != 2 || p.Items[0].ID != ship.ID || p.Items[1].ID != fixed.ID || p.NextCursor == nil {
		t.Fatalf("first page = %+v", p)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: promotionsPath + "?limit=2&cursor=" + *p.NextCursor, Token: admin.Token}).JSON(t, &p)
	if len(p.Items) != 1 || p.Items[0].ID != summer.ID || p.NextCursor != nil {
		t.Errorf("second page = %+v", p)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: promotionsPath + "?active=false", Token: admin.Token}).JSON(t, &p)
	if len(p.Items) != 1 || p.Items[0].ID != ship.ID {
		t.Errorf("inactive = %+v", p)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: promotionsPath + "?code=summer10", Token: admin.Token}).JSON(t, &p)
	if len(p.Items) != 1 || p.Items[0].ID != summer.ID {
		t.Errorf("by code = %+v", p)
	}

	// PATCH: switching kind drops the old kind's fields; switching applies_to drops the old ids.
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: promotionPath(summer.ID), Token: admin.Token,
		Body: map[string]any{"kind": "fixed", "amount_cents": 1000, "currency": "EUR", "code": nil, "usage_limit": nil,
			"ends_at": nil, "applies_to": "categories", "category_ids": []int64{cat.ID}}}).JSON(t, &got)
	if got.Kind != "fixed" || got.PercentBP != nil || got.Percent != nil || *got.AmountCents != 1000 || got.Code != nil ||
		got.UsageLimit != nil || got.Remaining != nil || got.EndsAt != nil || got.AppliesTo != "categories" || got.Name != "Summer" {
		t.Errorf("patched = %+v", got)
	}
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: promotionPath(summer.ID), Token: admin.Token,
		Body: map[string]any{"kind": "percent", "percent": "100", "applies_to": "order", "usage_limit": 0}}).JSON(t, &got)
	if got.AmountCents != nil || *got.PercentBP != 10000 || len(got.CategoryIDs) != 0 || *got.UsageLimit != 0 || *got.Remaining != 0 {
		t.Errorf("patched back = %+v", got)
	}
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: promotionPath(summer.ID), Token: admin.Token, Body: map[string]any{}}).JSON(t, &got)
	if got.Kind != "percent" {
		t.Errorf("empty PATCH changed it: %+v", got)
	}

	// DELETE deactivates; the promotion stays.
	e.mustDo(http.StatusNoContent, req{Method: "DELETE", Path: promotionPath(fixed.ID), Token: admin.Token})
	e.mustDo(http.StatusNoContent, req{Method: "DELETE", Path: promotionPath(fixed.ID), Token: admin.Token})
	e.mustDo(http.StatusOK, req{Method: "GET", Path: promotionPath(fixed.ID), Token: admin.Token}).JSON(t, &got)
	if got.Active {
		t.Error("DELETE left the promotion active")
	}
	e.mustDo(http.StatusNotFound, req{Method: "DELETE", Path: promotionPath(fixed.ID + 1000), Token: admin.Token})
	e.mustDo(http.StatusNotFound, req{Method: "GET", Path: promotionPath(fixed.ID + 1000), Token: admin.Token})
}

func TestPromotionRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller, customer := e.newAdmin(), e.newSeller(), e.newCustomer()
	cat := e.catCategory(admin, "Promo "+randHex(3), nil)
	prod := e.catProduct(seller.Token, map[string]any{"category_id": cat.ID})
	used := e.newPromotion(admin, map[string]any{"name": "Used", "code": "USED", "kind": "percent", "percent": "10", "usage_limit": 10})
	e.exec(`UPDATE promotions SET uses = 7 WHERE id = $1`, used.ID)
	products := e.newPromotion(admin, map[string]any{"name": "On products", "kind": "free_shipping", "applies_to": "products",
		"product_ids": []int64{prod.ID}})
	before := e.tableSnapshot("promotions")

	base := map[string]any{"name": "New", "kind": "percent", "percent": "10"}
	with := func(kv ...any) map[string]any {
		b := map[string]any{}
		for k, v := range base {
			b[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(b, kv[i].(string))
			} else {
				b[kv[i].(string)] = kv[i+1]
			}
		}
		return b
	}
	missing := prod.ID + 1000
	for _, tc := range []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		want   caseWant
	}{
		{"customer creates", "POST", promotionsPath, customer.Token, base, caseWant{403, "forbidden", "", ""}},
		{"seller creates", "POST", promotionsPath, seller.Token, base, caseWant{403, "forbidden", "", ""}},
		{"customer lists", "GET", promotionsPath, customer.Token, nil, caseWant{403, "forbidden", "", ""}},
		{"seller reads", "GET", promotionPath(used.ID), seller.Token, nil, caseWant{403, "forbidden", "", ""}},
		{"customer patches", "PATCH", promotionPath(used.ID), customer.Token, map[string]any{"active": false}, caseWant{403, "forbidden", "", ""}},
		{"seller deletes", "DELETE", promotionPath(used.ID), seller.Token, nil, caseWant{403, "forbidden", "", ""}},
		{"name missing", "POST", promotionsPath, admin.Token, with("name", nil), caseWant{422, "validation", "name", ""}},
		{"name blank", "POST", promotionsPath, admin.Token, with("name", "  "), caseWant{422, "validation", "name", ""}},
		{"description too long", "POST", promotionsPath, admin.Token, with("description", strings.Repeat("d", 2001)), caseWant{422, "validation", "description", ""}},
		{"kind unknown", "POST", promotionsPath, admin.Token, with("kind", "bogo"), caseWant{422, "validation", "kind", ""}},
		{"percent missing", "POST", promotionsPath, admin.Token, with("percent", nil), caseWant{422, "validation", "percent", ""}},
		{"percent zero", "POST", promotionsPath, admin.Token, with("percent", "0"), caseWant{422, "validation", "percent", ""}},
		{"percent negative", "POST", promotionsPath, admin.Token, with("percent", "-5"), caseWant{422, "validation", "percent", ""}},
		{"percent above 100", "POST", promotionsPath, admin.Token, with("percent", "100.01"), caseWant{422, "validation", "percent", ""}},
		{"percent three decimals", "POST", promotionsPath, admin.Token, with("percent", "12.345"), caseWant{422, "validation", "percent", ""}},
		{"percent a number", "POST", promotionsPath, admin.Token, with("percent", 10), caseWant{400, "invalid", "percent", ""}},
		{"percent on fixed", "POST", promotionsPath, admin.Token, with("kind", "fixed", "amount_cents", 100, "currency", "EUR"), caseWant{422, "validation", "percent", ""}},
		{"fixed without amount", "POST", promotionsPath, admin.Token, with("kind", "fixed", "percent", nil, "currency", "EUR"), caseWant{422, "validation", "amount_cents", ""}},
		{"fixed without currency", "POST", promotionsPath, admin.Token, with("kind", "fixed", "percent", nil, "amount_cents", 100), caseWant{422, "validation", "currency", ""}},
		{"amount zero", "POST", promotionsPath, admin.Token, with("kind", "fixed", "percent", nil, "amount_cents", 0, "currency", "EUR"), caseWant{422, "validation", "amount_cents", ""}},
		{"amount negative", "POST", promotionsPath, admin.Token, with("kind", "fixed", "percent", nil, "amount_cents", -500, "currency", "EUR"), caseWant{422, "validation", "amount_cents", ""}},
		{"amount absurd", "POST", promotionsPath, admin.Token, with("kind", "fixed", "percent", nil, "amount_cents", 100000000001, "currency", "EUR"), caseWant{422, "validation", "amount_cents", ""}},
		{"amount on percent", "POST", promotionsPath, admin.Token, with("amount_cents", 100, "currency", "EUR"), caseWant{422, "validation", "amount_cents", ""}},
		{"currency unknown", "POST", promotionsPath, admin.Token, with("currency", "EURO"), caseWant{422, "validation", "currency", ""}},
		{"min subtotal without currency", "POST", promotionsPath, admin.Token, with("min_subtotal_cents", 1000), caseWant{422, "validation", "currency", ""}},
		{"min subtotal negative", "POST", promotionsPath, admin.Token, with("min_subtotal_cents", -1, "currency", "EUR"), caseWant{422, "validation", "min_subtotal_cents", ""}},
		{"min subtotal absurd", "POST", promotionsPath, admin.Token, with("min_subtotal_cents", int64(1e12), "currency", "EUR"), caseWant{422, "validation", "min_subtotal_cents", ""}},
		{"code invalid", "POST", promotionsPath, admin.Token, with("code", "SAVE 10"), caseWant{422, "validation", "code", ""}},
		{"code empty", "POST", promotionsPath, admin.Token, with("code", ""), caseWant{422, "validation", "code", ""}},
		{"code too long", "POST", promotionsPath, admin.Token, with("code", strings.Repeat("C", 41)), caseWant{422, "validation", "code", ""}},
		{"code taken in another case", "POST", promotionsPath, admin.Token, with("code", "used"), caseWant{409, "conflict", "code", ""}},
		{"applies_to unknown", "POST", promotionsPath, admin.Token, with("applies_to", "customers"), caseWant{422, "validation", "applies_to", ""}},
		{"products without ids", "POST", promotionsPath, admin.Token, with("applies_to", "products"), caseWant{422, "validation", "product_ids", ""}},
		{"categories without ids", "POST", promotionsPath, admin.Token, with("applies_to", "categories", "category_ids", []int64{}), caseWant{422, "validation", "category_ids", ""}},
		{"product ids on an order promotion", "POST", promotionsPath, admin.Token, with("product_ids", []int64{prod.ID}), caseWant{422, "validation", "product_ids", ""}},
		{"unknown product", "POST", promotionsPath, admin.Token, with("applies_to", "products", "product_ids", []int64{prod.ID, missing}), caseWant{422, "validation", "product_ids", ""}},
		{"unknown category", "POST", promotionsPath, admin.Token, with("applies_to", "categories", "category_ids", []int64{cat.ID + 1000}), caseWant{422, "validation", "category_ids", ""}},
		{"product id zero", "POST", promotionsPath, admin.Token, with("applies_to", "products", "product_ids", []int64{0}), caseWant{422, "validation", "product_ids[0]", ""}},
		{"product id twice", "POST", promotionsPath, admin.Token, with("applies_to", "products", "product_ids", []int64{prod.ID, prod.ID}), caseWant{422, "validation", "product_ids[1]", ""}},
		{"starts_at not RFC 3339", "POST", promotionsPath, admin.Token, with("starts_at", "2030-06-01"), caseWant{422, "validation", "starts_at", ""}},
		{"ends_at not RFC 3339", "POST", promotionsPath, admin.Token, with("ends_at", "tomorrow"), caseWant{422, "validation", "ends_at", ""}},
		{"ends before starts", "POST", promotionsPath, admin.Token, with("starts_at", "2030-06-01T00:00:00Z", "ends_at", "2030-05-01T00:00:00Z"), caseWant{422, "validation", "ends_at", ""}},
		{"ends when starts", "POST", promotionsPath, admin.Token, with("starts_at", "2030-06-01T00:00:00Z", "ends_at", "2030-06-01T02:00:00+02:00"), caseWant{422, "validation", "ends_at", ""}},
		{"usage limit negative", "POST", promotionsPath, admin.Token, with("usage_limit", -1), caseWant{422, "validation", "usage_limit", ""}},
		{"per customer zero", "POST", promotionsPath, admin.Token, with("per_customer_limit", 0), caseWant{422, "validation", "per_customer_limit", ""}},
		{"uses is read-only", "POST", promotionsPath, admin.Token, with("uses", 3), caseWant{400, "invalid", "uses", ""}},
		{"remaining is read-only", "POST", promotionsPath, admin.Token, with("remaining", 3), caseWant{400, "invalid", "remaining", ""}},
		{"percent_bp is read-only", "POST", promotionsPath, admin.Token, with("percent_bp", 1000), caseWant{400, "invalid", "percent_bp", ""}},
		{"patch usage below uses", "PATCH", promotionPath(used.ID), admin.Token, map[string]any{"usage_limit": 6, "name": "Renamed"}, caseWant{409, "conflict", "usage_limit", ""}},
		{"patch kind without its fields", "PATCH", promotionPath(used.ID), admin.Token, map[string]any{"kind": "fixed"}, caseWant{422, "validation", "amount_cents", ""}},
		{"patch percent null on percent", "PATCH", promotionPath(used.ID), admin.Token, map[string]any{"percent": nil}, caseWant{422, "validation", "percent", ""}},
		{"patch percent invalid", "PATCH", promotionPath(used.ID), admin.Token, map[string]any{"percent": "abc"}, caseWant{422, "validation", "percent", ""}},
		{"patch amount negative", "PATCH", promotionPath(used.ID), admin.Token, map[string]any{"amount_cents": -1}, caseWant{422, "validation", "amount_cents", ""}},
		{"patch ends before starts", "PATCH", promotionPath(used.ID), admin.Token, map[string]any{"ends_at": "2000-01-01T00:00:00Z"}, caseWant{422, "validation", "ends_at", ""}},
		{"patch name null", "PATCH", promotionPath(used.ID), admin.Token, map[string]any{"name": nil}, caseWant{400, "invalid", "name", ""}},
		{"patch active null", "PATCH", promotionPath(used.ID), admin.Token, map[string]any{"active": nil}, caseWant{400, "invalid", "active", ""}},
		{"patch code taken", "PATCH", promotionPath(products.ID), admin.Token, map[string]any{"code": "Used"}, caseWant{409, "conflict", "code", ""}},
		{"patch unknown product", "PATCH", promotionPath(products.ID), admin.Token, map[string]any{"product_ids": []int64{prod.ID, missing}}, caseWant{422, "validation", "product_ids", ""}},
		{"patch products emptied", "PATCH", promotionPath(products.ID), admin.Token, map[string]any{"product_ids": []int64{}}, caseWant{422, "validation", "product_ids", ""}},
		{"patch uses", "PATCH", promotionPath(used.ID), admin.Token, map[string]any{"uses": 0}, caseWant{400, "invalid", "uses", ""}},
		{"patch unknown", "PATCH", promotionPath(used.ID + 1000), admin.Token, map[string]any{"name": "X"}, caseWant{404, "not_found", "", ""}},
		{"list bad active", "GET", promotionsPath + "?active=yes", admin.Token, nil, caseWant{400, "invalid", "", "active"}},
		{"list bad cursor", "GET", promotionsPath + "?cursor=bm9wZQ", admin.Token, nil, caseWant{400, "invalid", "", "cursor"}},
		{"list unknown parameter", "GET", promotionsPath + "?kind=fixed", admin.Token, nil, caseWant{400, "invalid", "", "kind"}},
	} {
		tc.want.check(t, tc.name, e.do(req{Method: tc.method, Path: tc.path, Token: tc.token, Body: tc.body}))
	}

	res := e.mustDo(http.StatusUnprocessableEntity, req{Method: "POST", Path: promotionsPath, Token: admin.Token,
		Body: with("applies_to", "products", "product_ids", []int64{prod.ID, missing, missing + 1})})
	if msg := catErr(t, res).Error.Message; !strings.Contains(msg, fmt.Sprint(missing)) {
		t.Errorf("unknown product: message %q does not name product %d", msg, missing)
	}
	res = e.mustDo(http.StatusConflict, req{Method: "PATCH", Path: promotionPath(used.ID), Token: admin.Token, Body: map[string]any{"usage_limit": 6}})
	if msg := catErr(t, res).Error.Message; !strings.Contains(msg, "7 uses") {
		t.Errorf("usage below uses: message %q does not say how many uses there are", msg)
	}
	if after := e.tableSnapshot("promotions"); after != before {
		t.Errorf("refused requests changed promotions:\nbefore %s\nafter  %s", before, after)
	}
	// The limit may come down to the uses exactly.
	var got promotionView
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: promotionPath(used.ID), Token: admin.Token, Body: map[string]any{"usage_limit": 7}}).JSON(t, &got)
	if *got.UsageLimit != 7 || got.Uses != 7 || *got.Remaining != 0 {
		t.Errorf("limit lowered to the uses: %+v", got)
	}
}

// A promotion created or switched on with announce starts its announcement; a failure to start
// it is reported and the promotion is kept.
func TestPromotionAnnouncement(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	ann := &fakeAnnouncer{}
	e := base.rebuilt(t, func(d *api.Deps) { d.Announcer = ann })
	admin := e.newAdmin()

	quiet := e.newPromotion(admin, map[string]any{"name": "Quiet", "kind": "free_shipping"})
	inactive := e.newPromotion(admin, map[string]any{"name": "Later", "kind": "free_shipping", "announce": true, "active": false})
	if quiet.Announcement != "" || inactive.Announcement != "" || len(ann.calls()) != 0 {
		t.Fatalf("announced without announce and active: %+v %+v %v", quiet, inactive, ann.calls())
	}
	loud := e.newPromotion(admin, map[string]any{"name": "Loud", "kind": "percent", "percent": "20", "announce": true,
		"starts_at": "2030-01-01T09:00:00Z"})
	calls := ann.calls()
	if loud.Announcement != "started" || len(calls) != 1 || calls[0].ID != loud.ID || !calls[0].StartsAt.Equal(time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("loud = %+v, calls %v", loud, calls)
	}
	// Renaming does not announce again; switching the inactive one on does.
	var got promotionView
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: promotionPath(loud.ID), Token: admin.Token, Body: map[string]any{"name": "Louder"}}).JSON(t, &got)
	if got.Announcement != "" || len(ann.calls()) != 1 {
		t.Errorf("rename announced: %+v %v", got, ann.calls())
	}
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: promotionPath(inactive.ID), Token: admin.Token, Body: map[string]any{"active": true}}).JSON(t, &got)
	if got.Announcement != "started" || len(ann.calls()) != 2 {
		t.Errorf("activation: %+v %v", got, ann.calls())
	}

	ann.mu.Lock()
	ann.Err = errors.New("temporal is down")
	ann.mu.Unlock()
	failed := e.newPromotion(admin, map[string]any{"name": "Unlucky", "kind": "free_shipping", "announce": true})
	if failed.Announcement != "failed" || !failed.Active {
		t.Errorf("failed announcement = %+v, want the promotion created with announcement failed", failed)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: promotionPath(failed.ID), Token: admin.Token})

	// Without an announcer, nothing is said about announcements.
	plain := base.newPromotion(base.newAdmin(), map[string]any{"name": "No announcer", "kind": "free_shipping", "announce": true})
	if plain.Announcement != "" || !plain.Announce {
		t.Errorf("without an announcer: %+v", plain)
	}
}
