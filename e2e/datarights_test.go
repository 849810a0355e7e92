package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"shopflow/config"
)

// person is a customer whose every personal datum is a string found nowhere else, so a search
// for it over the whole database and Redis proves erasure reached everything.
type person struct {
	account
	email, password, name, phone, street string
}

func (p person) needles() map[string]string {
	return map[string]string{"email": p.email, "name": p.name, "phone": p.phone, "address": p.street}
}

func (e *env) newPerson() person {
	e.t.Helper()
	tag := randHex(5)
	p := person{email: "zq-" + tag + "@example.com", password: "a-long-password-1", name: "Zelda Quixotic" + tag,
		phone: fmt.Sprintf("+49151%08d", time.Now().UnixNano()%100000000), street: "742 Evergreen Terrace " + tag}
	e.mustSend(request{method: "POST", path: "/api/v1/auth/register",
		body: map[string]string{"email": p.email, "password": p.password, "name": p.name}}, nil, http.StatusCreated)
	p.account = e.login(p.email, p.password)
	return p
}

// TestDataRightsEraseEverywhere: a customer with orders, a review, a wishlist, a cart,
// notifications, marketing preferences, a return, an export and Redis keys is erased; then no
// text, character or JSON column of any table, and no Redis key or value of the deployment,
// holds their email, name, phone or address, while the sales and the daily report are as before.
func TestDataRightsEraseEverywhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConfig(func(c *config.Config) { c.RateLimitReads, c.RateLimitWrites = 1_000_000, 1_000_000 }))
	ctx := context.Background()
	p := e.newPerson()
	product, other := e.newProduct(50, 1500), e.newProduct(50, 700)

	var orders []string
	for range 2 {
		req := checkoutOf("pm_card_visa", line{ProductID: product, Quantity: 2}, line{ProductID: other, Quantity: 1})
		req.ShippingAddress.Name, req.ShippingAddress.Line1 = p.name, p.street
		o := e.checkout(p.account, req)
		if res := e.awaitSaga(o.ID); res.Status != "placed" {
			t.Fatalf("order %s: %+v, want placed", o.ID, res)
		}
		orders = append(orders, o.ID)
	}
	e.mustSend(request{method: "POST", path: fmt.Sprintf("/api/v1/products/%d/reviews", product), token: p.Token,
		body: map[string]any{"rating": 4, "title": "Says " + p.name, "body": "Sent to " + p.street}}, nil, http.StatusCreated)
	e.mustSend(request{method: "PUT", path: fmt.Sprintf("/api/v1/cart/items/%d", other), token: p.Token, body: map[string]int{"quantity": 1}}, nil, http.StatusOK)
	e.mustSend(request{method: "PUT", path: fmt.Sprintf("/api/v1/wishlist/items/%d", product), token: p.Token, body: map[string]int{"quantity": 1}}, nil, http.StatusOK)
	e.mustSend(request{method: "PUT", path: "/api/v1/users/me/marketing-preferences", token: p.Token,
		body: map[string]any{"promotions": true, "channels": []string{"inapp", "sms"}, "phone": p.phone}}, nil, http.StatusOK)
	e.exec(`INSERT INTO returns (order_id, customer_id, seller_id, reason, tracking)
		SELECT $1, $2, seller_id, 'Wrong size for ' || $3::text, 'TRK-' || $4::text FROM order_items WHERE order_id = $1 LIMIT 1`,
		orders[0], p.ID, p.name, p.street)
	e.exec(`INSERT INTO notifications (idempotency_key, address, channel, kind, subject) VALUES ($1, $2, 'email', 'file', 'Hi')`,
		"file:"+randHex(4), strings.ToUpper(p.email))
	archive := e.exportAndDownload(p.account)
	if !bytes.Contains(archive["profile.json"], []byte(p.email)) || !bytes.Contains(archive["orders.json"], []byte(p.street)) {
		t.Fatalf("the export lacks the customer's data: %s", archive["manifest.json"])
	}
	e.deliverNotices(p.ID)
	if keys := e.redisKeysWith(p.ID); len(keys) == 0 {
		t.Fatal("no Redis key names the customer before erasure: the test proves nothing about Redis")
	}
	for what, needle := range p.needles() {
		if hits := e.columnsHolding(needle); len(hits) == 0 {
			t.Fatalf("the %s is nowhere before erasure: the search proves nothing", what)
		}
	}
	salesBefore, reportBefore := e.salesTotals(), e.dailyReport()

	e.mustSend(request{method: "DELETE", path: "/api/v1/users/me", token: p.Token, body: map[string]string{"current_password": p.password}},
		nil, http.StatusAccepted)
	e.awaitErasure(p.ID)

	for what, needle := range p.needles() {
		if hits := e.columnsHolding(needle); len(hits) > 0 {
			t.Errorf("the %s is still in %v", what, hits)
		}
		if hits := e.redisHolding(needle); len(hits) > 0 {
			t.Errorf("the %s is still in Redis: %v", what, hits)
		}
	}
	if keys := e.redisKeysWith(p.ID); len(keys) > 0 {
		t.Errorf("Redis keys still name the customer: %v", keys)
	}
	if got := e.salesTotals(); got != salesBefore {
		t.Errorf("sales totals %s after erasure, %s before", got, salesBefore)
	}
	if got := e.dailyReport(); got != reportBefore {
		t.Errorf("daily report changed by erasure:\n%s\nbefore:\n%s", got, reportBefore)
	}
	var audited int
	if err := e.db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'user.erase' AND resource_id = $1`, p.ID).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("%d audit records of the erasure (%v), want 1", audited, err)
	}
	if code, _, _ := e.send(request{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": p.email, "password": p.password}}); code != http.StatusUnauthorized {
		t.Errorf("login after erasure: %d, want 401", code)
	}
	// Asking again finds the finished erasure.
	admin := e.newAdmin()
	e.mustSend(request{method: "POST", path: "/api/v1/admin/users/" + p.ID + "/erase", token: admin.Token}, nil, http.StatusAccepted)
}

// TestDataRightsExportThousandOrders: the archive of a customer with 1,000 orders lists them all.
func TestDataRightsExportThousandOrders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.newPerson()
	product := e.newProduct(5, 1200)
	e.exec(`WITH o AS (
			INSERT INTO orders (customer_id, status, currency, total_cents, shipping_address)
			SELECT $1, 'delivered', 'USD', 0, jsonb_build_object('name', $3::text, 'n', g) FROM generate_series(1, 1000) g
			RETURNING id)
		INSERT INTO order_items (order_id, line_no, product_id, seller_id, quantity, unit_price_cents, currency)
		SELECT o.id, 1, $2, p.seller_id, 1, 0, 'USD' FROM o, products p WHERE p.id = $2`, p.ID, product, p.name)
	archive := e.exportAndDownload(p.account)
	var listed []struct {
		ID    string            `json:"id"`
		Lines []json.RawMessage `json:"lines"`
	}
	if err := json.Unmarshal(archive["orders.json"], &listed); err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Counts map[string]int `json:"counts"`
	}
	if err := json.Unmarshal(archive["manifest.json"], &manifest); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, o := range listed {
		seen[o.ID] = len(o.Lines) == 1
	}
	if len(listed) != 1000 || len(seen) != 1000 || manifest.Counts["orders"] != 1000 {
		t.Fatalf("archive lists %d orders (%d distinct), manifest %v; want 1000", len(listed), len(seen), manifest.Counts)
	}
	for id, hasLine := range seen {
		if !hasLine {
			t.Fatalf("order %s listed without its line", id)
		}
	}
}
