package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"shopflow/config"
	"shopflow/store"
)

// wantRecord is one audit record an action must write. Before and After are JSON; with exact
// they must equal the record's, otherwise each key given must have that value (creates and
// deletes carry the whole row, ids and timestamps included). Absent lists keys that must not
// appear in either (personal or secret columns).
type wantRecord struct {
	action, resourceType, resourceID string
	before, after                    string
	exact                            bool
	absent                           []string
}

type auditPageView struct {
	Items      []store.AuditEntry `json:"items"`
	NextCursor *string            `json:"next_cursor"`
}

// audited performs r as who, with its own request id and user agent, and checks that it wrote
// exactly the records want, each naming who, the request, the client IP and the user agent.
func (e *testEnv) audited(t *testing.T, who account, status int, r req, want ...wantRecord) response {
	t.Helper()
	reqID := "audit-" + randHex(6)
	r.Token = who.Token
	r.Header = map[string]string{"X-Request-ID": reqID, "User-Agent": "audit-test/1.0"}
	for k, v := range r.Header {
		r.Header[k] = v
	}
	res := e.mustDo(status, r)
	rows, err := e.Store.Pool.Query(t.Context(), `SELECT id FROM audit_log WHERE request_id = $1 ORDER BY id`, reqID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	page, err := e.Store.ListAudit(t.Context(), store.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]store.AuditEntry{}
	for _, rec := range page.Items {
		byID[rec.ID] = rec
	}
	if len(ids) != len(want) {
		var got []string
		for _, id := range ids {
			got = append(got, byID[id].Action+" "+byID[id].ResourceID)
		}
		t.Fatalf("%s %s wrote %d audit records %v, want %d", r.Method, r.Path, len(ids), got, len(want))
	}
	for i, w := range want {
		rec, ok := byID[ids[i]]
		if !ok {
			t.Fatalf("record %d not in the latest page", ids[i])
		}
		name := fmt.Sprintf("%s %s: record %d (%s)", r.Method, r.Path, i, w.action)
		if rec.Action != w.action || rec.ResourceType != w.resourceType || (w.resourceID != "" && rec.ResourceID != w.resourceID) {
			t.Errorf("%s: %s %s/%s, want %s/%s", name, rec.Action, rec.ResourceType, rec.ResourceID, w.resourceType, w.resourceID)
		}
		a := rec.Actor
		if a.AccountID != who.ID || a.Role != who.Role || a.RequestID != reqID || a.IP != "192.0.2.1" || a.UserAgent != "audit-test/1.0" {
			t.Errorf("%s: actor %+v", name, a)
		}
		if who.Role == store.RoleSeller && (who.SellerID == nil || a.SellerID != *who.SellerID) {
			t.Errorf("%s: actor seller %q", name, a.SellerID)
		}
		checkValue(t, name+" before", rec.Before, w.before, w.exact, w.absent)
		checkValue(t, name+" after", rec.After, w.after, w.exact, w.absent)
	}
	return res
}

func checkValue(t *testing.T, name string, got json.RawMessage, want string, exact bool, absent []string) {
	t.Helper()
	var g map[string]any
	if len(got) > 0 && string(got) != "null" {
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s: %s: %v", name, got, err)
		}
	}
	for _, k := range absent {
		if _, ok := g[k]; ok {
			t.Errorf("%s holds %s: %s", name, k, got)
		}
	}
	if want == "" {
		if g != nil {
			t.Errorf("%s = %s, want null", name, got)
		}
		return
	}
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if exact {
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
		return
	}
	for k, v := range w {
		if !reflect.DeepEqual(g[k], v) {
			t.Errorf("%s[%s] = %v, want %v (%s)", name, k, g[k], v, got)
		}
	}
}

func (e *testEnv) auditPage(t *testing.T, token, path string, want int) auditPageView {
	t.Helper()
	var p auditPageView
	e.mustDo(want, req{Method: "GET", Path: path, Token: token}).JSON(t, &p)
	return p
}

// asAppRole runs the API's database sessions as the application's role, shopflow_app, as
// production does (migrations/00022_audit.sql): it may write every table but not change or
// delete audit records.
func asAppRole(c *config.Config) {
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	q.Set("options", "-c role=shopflow_app")
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx reads a '+' literally
	c.DatabaseURL = u.String()
}

// Every change an admin or a seller makes through the API writes exactly one record per
// changed resource, with the changed values before and after and who made it; a customer's
// changes write none. The API runs as the application's role throughout.
func TestAuditEveryAction(t *testing.T) {
	t.Parallel()
	e := newEnv(t, asAppRole)
	var role string
	if err := e.Store.Pool.QueryRow(t.Context(), `SELECT current_user`).Scan(&role); err != nil || role != "shopflow_app" {
		t.Fatalf("the API's database role is %q (%v), want shopflow_app", role, err)
	}
	if _, err := e.Store.Pool.Exec(t.Context(), `DELETE FROM audit_log`); err == nil {
		t.Fatal("the application's role deleted audit records")
	}
	admin, seller, buyer := e.newAdmin(), e.newSeller(), e.newCustomer()
	sid := *seller.SellerID
	var id struct {
		ID int64 `json:"id"`
	}
	var sID struct {
		ID string `json:"id"`
	}
	n := func(v int64) string { return fmt.Sprint(v) }

	// Categories.
	e.audited(t, admin, http.StatusCreated, req{Method: "POST", Path: "/api/v1/categories", Body: map[string]any{"name": "Lamps"}},
		wantRecord{action: "category.create", resourceType: "category", after: `{"name": "Lamps", "slug": "lamps", "parent_id": null}`}).JSON(t, &id)
	cat := id.ID
	e.audited(t, admin, http.StatusOK, req{Method: "PATCH", Path: fmt.Sprintf("/api/v1/categories/%d", cat), Body: map[string]any{"name": "Lights"}},
		wantRecord{action: "category.update", resourceType: "category", resourceID: n(cat), before: `{"name": "Lamps"}`, after: `{"name": "Lights"}`, exact: true})
	e.audited(t, admin, http.StatusCreated, req{Method: "POST", Path: "/api/v1/categories", Body: map[string]any{"name": "Spare"}},
		wantRecord{action: "category.create", resourceType: "category", after: `{"name": "Spare"}`}).JSON(t, &id)
	e.audited(t, admin, http.StatusNoContent, req{Method: "DELETE", Path: fmt.Sprintf("/api/v1/categories/%d", id.ID)},
		wantRecord{action: "category.delete", resourceType: "category", resourceID: n(id.ID), before: `{"name": "Spare"}`})

	// Catalog, prices, stock.
	e.audited(t, seller, http.StatusCreated, req{Method: "POST", Path: "/api/v1/products", Body: map[string]any{"category_id": cat,
		"name": "Desk lamp", "price_cents": 1000, "currency": "USD", "on_hand": 5}},
		wantRecord{action: "product.create", resourceType: "product", after: `{"name": "Desk lamp", "price_cents": 1000, "seller_id": "` + sid + `"}`, absent: []string{"search"}},
		wantRecord{action: "inventory.create", resourceType: "inventory", after: `{"on_hand": 5, "reserved": 0}`}).JSON(t, &id)
	lamp := id.ID
	e.audited(t, seller, http.StatusOK, req{Method: "PATCH", Path: fmt.Sprintf("/api/v1/products/%d", lamp), Body: map[string]any{"price_cents": 1250}},
		wantRecord{action: "product.update", resourceType: "product", resourceID: n(lamp), before: `{"price_cents": 1000}`, after: `{"price_cents": 1250}`, exact: true})
	e.audited(t, seller, http.StatusOK, req{Method: "PUT", Path: fmt.Sprintf("/api/v1/products/%d/inventory", lamp), Body: map[string]any{"on_hand": 9}},
		wantRecord{action: "inventory.update", resourceType: "inventory", resourceID: n(lamp), before: `{"on_hand": 5}`, after: `{"on_hand": 9}`, exact: true})

	// Order fulfilment: the seller ships and delivers its line.
	order := e.checkoutOrder(buyer, coItem(lamp, 1))
	e.placeOrder(order.ID)
	e.audited(t, seller, http.StatusOK, req{Method: "POST", Path: orderPath(order.ID, "ship")},
		wantRecord{action: "order_item.update", resourceType: "order_item", resourceID: order.ID + ":1",
			before: `{"fulfilment": "pending"}`, after: `{"fulfilment": "shipped"}`, exact: true},
		wantRecord{action: "order.update", resourceType: "order", resourceID: order.ID, before: `{"status": "placed"}`, after: `{"status": "shipped"}`, exact: true})

	// Reviews: a customer's review is not audited; the admin's decision and the seller's reply are.
	var rv struct {
		ID int64 `json:"id"`
	}
	e.audited(t, buyer, http.StatusCreated, req{Method: "POST", Path: reviewsPath(lamp), Body: map[string]any{"rating": 5, "title": "Bright", "body": "Good lamp"}}).JSON(t, &rv)
	e.audited(t, admin, http.StatusOK, req{Method: "POST", Path: fmt.Sprintf("/api/v1/admin/reviews/%d/decision", rv.ID),
		Body: map[string]any{"decision": "publish", "reason": ""}},
		wantRecord{action: "review.update", resourceType: "review", resourceID: n(rv.ID), before: `{"status": "pending"}`, after: `{"status": "published"}`,
			absent: []string{"title", "body"}})
	e.audited(t, seller, http.StatusCreated, req{Method: "POST", Path: reviewPath(lamp, rv.ID) + "/reply", Body: map[string]any{"body": "Thanks!"}},
		wantRecord{action: "review.update", resourceType: "review", resourceID: n(rv.ID), before: `{"reply_body": null}`, after: `{"reply_body": "Thanks!"}`})

	e.audited(t, seller, http.StatusNoContent, req{Method: "DELETE", Path: fmt.Sprintf("/api/v1/products/%d", lamp)},
		wantRecord{action: "product.update", resourceType: "product", resourceID: n(lamp), before: `{"status": "active"}`, after: `{"status": "archived"}`, exact: true})

	// Accounts and keys.
	target := e.newCustomer()
	e.audited(t, admin, http.StatusOK, req{Method: "PATCH", Path: "/api/v1/admin/users/" + target.ID, Body: map[string]any{"role": "admin"}},
		wantRecord{action: "user.update", resourceType: "user", resourceID: target.ID, before: `{"role": "customer", "token_version": 0}`,
			after: `{"role": "admin", "token_version": 1}`, exact: true})
	e.audited(t, admin, http.StatusOK, req{Method: "POST", Path: "/api/v1/admin/users/" + target.ID + "/disable"},
		wantRecord{action: "user.update", resourceType: "user", resourceID: target.ID, before: `{"disabled_at": null, "token_version": 1}`,
			after: `{"token_version": 2}`, absent: []string{"email", "name", "password_hash"}})
	e.audited(t, admin, http.StatusCreated, req{Method: "POST", Path: "/api/v1/admin/api-keys", Body: map[string]any{"name": "feed", "role": "ingest"}},
		wantRecord{action: "api_key.create", resourceType: "api_key", after: `{"name": "feed", "role": "ingest", "revoked_at": null}`,
			absent: []string{"key_hash"}}).JSON(t, &sID)
	e.audited(t, admin, http.StatusNoContent, req{Method: "DELETE", Path: "/api/v1/admin/api-keys/" + sID.ID},
		wantRecord{action: "api_key.update", resourceType: "api_key", resourceID: sID.ID, before: `{"revoked_at": null}`, after: `{}`, absent: []string{"key_hash"}})

	// Settings: shipping, tax, promotions.
	e.audited(t, admin, http.StatusCreated, req{Method: "POST", Path: "/api/v1/admin/shipping/zones", Body: map[string]any{"name": "EU", "countries": []string{"DE"}}},
		wantRecord{action: "shipping_zone.create", resourceType: "shipping_zone", after: `{"name": "EU"}`},
		wantRecord{action: "shipping_zone_country.create", resourceType: "shipping_zone_country", resourceID: "DE", after: `{"country": "DE"}`}).JSON(t, &id)
	zone := id.ID
	e.audited(t, admin, http.StatusOK, req{Method: "PATCH", Path: fmt.Sprintf("/api/v1/admin/shipping/zones/%d", zone), Body: map[string]any{"name": "Europe"}},
		wantRecord{action: "shipping_zone.update", resourceType: "shipping_zone", resourceID: n(zone), before: `{"name": "EU"}`, after: `{"name": "Europe"}`, exact: true})
	e.audited(t, admin, http.StatusCreated, req{Method: "POST", Path: fmt.Sprintf("/api/v1/admin/shipping/zones/%d/methods", zone),
		Body: map[string]any{"code": "std", "name": "Standard", "kind": "flat", "currency": "EUR", "price_cents": 499}},
		wantRecord{action: "shipping_method.create", resourceType: "shipping_method", after: `{"code": "std", "price_cents": 499}`}).JSON(t, &id)
	method := id.ID
	e.audited(t, admin, http.StatusOK, req{Method: "PATCH", Path: fmt.Sprintf("/api/v1/admin/shipping/methods/%d", method), Body: map[string]any{"price_cents": 599}},
		wantRecord{action: "shipping_method.update", resourceType: "shipping_method", resourceID: n(method), before: `{"price_cents": 499}`, after: `{"price_cents": 599}`, exact: true})
	e.audited(t, admin, http.StatusNoContent, req{Method: "DELETE", Path: fmt.Sprintf("/api/v1/admin/shipping/methods/%d", method)},
		wantRecord{action: "shipping_method.delete", resourceType: "shipping_method", resourceID: n(method), before: `{"code": "std"}`})
	e.audited(t, admin, http.StatusCreated, req{Method: "POST", Path: "/api/v1/admin/tax-rates", Body: map[string]any{"country": "DE", "rate": "19"}},
		wantRecord{action: "tax_rate.create", resourceType: "tax_rate", after: `{"country": "DE", "rate_ppm": 190000}`}).JSON(t, &id)
	rate := id.ID
	e.audited(t, admin, http.StatusOK, req{Method: "PATCH", Path: fmt.Sprintf("/api/v1/admin/tax-rates/%d", rate), Body: map[string]any{"rate": "7"}},
		wantRecord{action: "tax_rate.update", resourceType: "tax_rate", resourceID: n(rate), before: `{"rate_ppm": 190000}`, after: `{"rate_ppm": 70000}`, exact: true})
	e.audited(t, admin, http.StatusNoContent, req{Method: "DELETE", Path: fmt.Sprintf("/api/v1/admin/tax-rates/%d", rate)},
		wantRecord{action: "tax_rate.delete", resourceType: "tax_rate", resourceID: n(rate), before: `{"rate_ppm": 70000}`})
	e.audited(t, admin, http.StatusCreated, req{Method: "POST", Path: "/api/v1/admin/promotions", Body: map[string]any{"name": "Summer", "code": "SUN10",
		"kind": "percent", "percent": "10"}},
		wantRecord{action: "promotion.create", resourceType: "promotion", after: `{"name": "Summer", "percent_bp": 1000, "active": true}`}).JSON(t, &id)
	promo := id.ID
	e.audited(t, admin, http.StatusOK, req{Method: "PATCH", Path: fmt.Sprintf("/api/v1/admin/promotions/%d", promo), Body: map[string]any{"name": "Sunny"}},
		wantRecord{action: "promotion.update", resourceType: "promotion", resourceID: n(promo), before: `{"name": "Summer"}`, after: `{"name": "Sunny"}`, exact: true})
	e.audited(t, admin, http.StatusNoContent, req{Method: "DELETE", Path: fmt.Sprintf("/api/v1/admin/promotions/%d", promo)},
		wantRecord{action: "promotion.update", resourceType: "promotion", resourceID: n(promo), before: `{"active": true}`, after: `{"active": false}`, exact: true})
	e.audited(t, admin, http.StatusNoContent, req{Method: "DELETE", Path: fmt.Sprintf("/api/v1/admin/shipping/zones/%d", zone)},
		wantRecord{action: "shipping_zone.delete", resourceType: "shipping_zone", resourceID: n(zone), before: `{"name": "Europe"}`},
		wantRecord{action: "shipping_zone_country.delete", resourceType: "shipping_zone_country", resourceID: "DE", before: `{"country": "DE"}`})

	// The admin list filters; a seller reads its own store's records only.
	all := e.auditPage(t, admin.Token, "/api/v1/admin/audit?resource_type=product&resource_id="+n(lamp), http.StatusOK)
	if len(all.Items) != 3 || all.Items[0].Action != "product.update" || all.Items[2].Action != "product.create" {
		t.Fatalf("product records %+v", all.Items)
	}
	mine := e.auditPage(t, seller.Token, "/api/v1/sellers/me/audit?limit=100", http.StatusOK)
	for _, rec := range mine.Items {
		if rec.SellerID == nil || *rec.SellerID != sid {
			t.Errorf("seller sees record %+v of another store", rec)
		}
	}
	if len(mine.Items) != 8 { // product ×3, inventory ×2, order line, review ×2
		t.Errorf("seller sees %d records", len(mine.Items))
	}
	other := e.newSeller()
	if p := e.auditPage(t, other.Token, "/api/v1/sellers/me/audit", http.StatusOK); len(p.Items) != 0 {
		t.Errorf("another seller sees %d records", len(p.Items))
	}
	byActor := e.auditPage(t, admin.Token, "/api/v1/admin/audit?limit=100&actor="+seller.ID, http.StatusOK)
	if len(byActor.Items) != 8 { // the store's but the admin's review decision, and the order's status
		t.Errorf("seller's own records: %d, want 8", len(byActor.Items))
	}
	future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if p := e.auditPage(t, admin.Token, "/api/v1/admin/audit?from="+future, http.StatusOK); len(p.Items) != 0 {
		t.Errorf("records from the future: %d", len(p.Items))
	}
	if p := e.auditPage(t, admin.Token, "/api/v1/admin/audit?action=tax_rate.update", http.StatusOK); len(p.Items) != 1 {
		t.Errorf("tax_rate.update records: %d", len(p.Items))
	}
	// Cursor pages walk every record once.
	seen := map[int64]bool{}
	path := "/api/v1/admin/audit?limit=4"
	for {
		p := e.auditPage(t, admin.Token, path, http.StatusOK)
		for _, rec := range p.Items {
			if seen[rec.ID] {
				t.Fatalf("record %d twice", rec.ID)
			}
			seen[rec.ID] = true
		}
		if p.NextCursor == nil {
			break
		}
		path = "/api/v1/admin/audit?limit=4&cursor=" + *p.NextCursor
	}
	var total int
	if err := e.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log`).Scan(&total); err != nil || total != len(seen) {
		t.Fatalf("paged %d records, table holds %d (%v)", len(seen), total, err)
	}
}

// Bad filters are clear 400s; the lists are for admins and sellers only.
func TestAuditListBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller, customer := e.newAdmin(), e.newSeller(), e.newCustomer()
	for _, c := range []struct {
		path, token string
		status      int
	}{
		{"/api/v1/admin/audit?from=yesterday", admin.Token, http.StatusBadRequest},
		{"/api/v1/admin/audit?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", admin.Token, http.StatusBadRequest},
		{"/api/v1/admin/audit?cursor=nonsense", admin.Token, http.StatusBadRequest},
		{"/api/v1/admin/audit?limit=0", admin.Token, http.StatusBadRequest},
		{"/api/v1/admin/audit?colour=red", admin.Token, http.StatusBadRequest},
		{"/api/v1/sellers/me/audit?actor=x", seller.Token, http.StatusBadRequest},
		{"/api/v1/admin/audit", seller.Token, http.StatusForbidden},
		{"/api/v1/sellers/me/audit", customer.Token, http.StatusForbidden},
		{"/api/v1/admin/audit", "", http.StatusUnauthorized},
	} {
		if res := e.do(req{Method: "GET", Path: c.path, Token: c.token}); res.Code != c.status {
			t.Errorf("GET %s: %d %s, want %d", c.path, res.Code, res.Body, c.status)
		}
	}
}
