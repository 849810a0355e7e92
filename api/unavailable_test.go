package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/api"
	"shopflow/store"
)

// TestDownPostgresIsA503 serves every kind of route with Postgres unreachable: each answers 503
// unavailable with Retry-After, never a 500 (which says "bug") or a hang.
func TestDownPostgresIsA503(t *testing.T) {
	e := newEnv(t)
	customer, seller := e.newCustomer(), e.newSeller()
	pool, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	down := e.rebuilt(t, func(d *api.Deps) { d.Store = store.New(pool) })
	key := map[string]string{"Idempotency-Key": "k-" + randHex(6)}
	for _, r := range []req{
		{Method: "GET", Path: "/api/v1/categories"},
		{Method: "GET", Path: "/api/v1/categories/1"},
		{Method: "GET", Path: "/api/v1/products"},
		{Method: "GET", Path: "/api/v1/products/1"},
		{Method: "GET", Path: "/api/v1/products?q=lamp"},
		{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": customer.Email, "password": customer.Password}},
		{Method: "POST", Path: "/api/v1/auth/register", Body: map[string]any{"email": "n-" + randHex(4) + "@example.com", "password": "a-long-password-1"}},
		{Method: "GET", Path: "/api/v1/users/me", Token: customer.Token},
		{Method: "GET", Path: "/api/v1/cart", Token: customer.Token},
		{Method: "PUT", Path: "/api/v1/cart/items/1", Token: customer.Token, Body: map[string]any{"quantity": 1}},
		{Method: "POST", Path: "/api/v1/checkout", Token: customer.Token, Header: key, Body: map[string]any{}},
		{Method: "GET", Path: "/api/v1/orders", Token: customer.Token},
		{Method: "GET", Path: "/api/v1/notifications", Token: customer.Token},
		{Method: "GET", Path: "/api/v1/sellers/me/rank", Token: seller.Token},
		{Method: "GET", Path: "/api/v1/products", Header: map[string]string{"X-API-Key": "sk_" + randHex(8)}},
	} {
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			down.t = t
			res := down.do(r)
			if res.Code != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || res.ErrorCode(t) != "unavailable" {
				t.Errorf("%d (Retry-After %q), want 503 unavailable: %s", res.Code, res.Header.Get("Retry-After"), res.Body)
			}
		})
	}
}
