package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"shopflow/ranking"
	"shopflow/store"
)

func TestSellerRanks(t *testing.T) {
	t.Parallel()
	s := newTSShop(t, false)
	ctx := context.Background()
	active, quiet, customer, admin := s.newSeller(), s.newSeller(), s.newCustomer(), s.newAdmin()
	// The active seller sells the most units of all, in one leaf category.
	leaf := s.shop.Categories[len(s.shop.Categories)-1]
	var product int64
	if err := s.Store.Pool.QueryRow(ctx, `INSERT INTO products (seller_id, category_id, name, price_cents, currency)
		VALUES ($1, $2, 'Bestseller', 250, 'EUR') RETURNING id`, *active.SellerID, leaf).Scan(&product); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Store.RecordSales(ctx, []store.SaleLine{{Source: "apitest", ExternalOrderID: "big", LineNo: 1,
		OrderedAt: time.Now().UTC().Truncate(time.Hour).Add(-3 * time.Hour), ProductID: product, Quantity: 10000, UnitPriceCents: 250, Currency: "EUR"}}); err != nil {
		t.Fatal(err)
	}
	s.publish()
	ranked := s.ranking.RankedSellers
	var parent int64
	if err := s.Store.Pool.QueryRow(ctx, `SELECT parent_id FROM categories WHERE id = $1`, leaf).Scan(&parent); err != nil {
		t.Fatal(err)
	}

	type rank struct {
		SellerID    string                     `json:"seller_id"`
		Window      ranking.Window             `json:"window"`
		GeneratedAt time.Time                  `json:"generated_at"`
		Overall     ranking.OverallStanding    `json:"overall"`
		Categories  []ranking.CategoryStanding `json:"categories"`
	}
	check := func(e *testEnv, path, token, source string, wantRank int, seller string) {
		t.Helper()
		res := e.tsGet(path, nil, token)
		if res.Code != http.StatusOK || res.Header.Get("X-Top-Sellers-Source") != source {
			t.Fatalf("GET %s: %d from %q: %s", path, res.Code, res.Header.Get("X-Top-Sellers-Source"), res.Body)
		}
		var r rank
		res.JSON(t, &r)
		if r.SellerID != seller || r.Overall.Of != ranked || !tsSameWindow(r.Window, s.ranking.Window) {
			t.Errorf("GET %s: %s", path, res.Body)
		}
		if wantRank == 0 {
			if r.Overall.Rank != nil || r.Overall.Currency != nil || r.Categories == nil || len(r.Categories) != 0 || r.Overall.Units != 0 {
				t.Errorf("GET %s: %s, want rank null and no categories for a seller without sales", path, res.Body)
			}
			return
		}
		if r.Overall.Rank == nil || *r.Overall.Rank != wantRank || r.Overall.Units != 10000 || r.Overall.RevenueCents != 2_500_000 ||
			r.Overall.Currency == nil || *r.Overall.Currency != "EUR" {
			t.Errorf("GET %s: overall %+v, want rank %d, 10000 units, 2500000 EUR", path, r.Overall, wantRank)
		}
		cats := map[int64]int{}
		for _, c := range r.Categories {
			cats[c.CategoryID] = c.Rank
		}
		if len(cats) != 2 || cats[leaf] != 1 || cats[parent] != 1 {
			t.Errorf("GET %s: categories %+v, want first in its leaf %d and in its parent %d", path, r.Categories, leaf, parent)
		}
	}
	check(s.testEnv, "/api/v1/sellers/me/rank", active.Token, "redis", 1, *active.SellerID)
	check(s.testEnv, "/api/v1/sellers/"+*active.SellerID+"/rank", admin.Token, "redis", 1, *active.SellerID)
	check(s.testEnv, "/api/v1/sellers/me/rank", quiet.Token, "redis", 0, *quiet.SellerID)
	check(s.testEnv, "/api/v1/sellers/"+strings.ToUpper(*quiet.SellerID)+"/rank", admin.Token, "redis", 0, *quiet.SellerID)

	down := tsDeadRedis(s.testEnv, t)
	check(down, "/api/v1/sellers/me/rank", active.Token, "postgres", 1, *active.SellerID)
	check(down, "/api/v1/sellers/"+*quiet.SellerID+"/rank", admin.Token, "postgres", 0, *quiet.SellerID)

	for _, e := range []*testEnv{s.testEnv, down} {
		for _, c := range []struct {
			name, path, token string
			want              int
		}{
			{"unknown seller", "/api/v1/sellers/00000000-0000-4000-8000-000000000001/rank", admin.Token, http.StatusNotFound},
			{"malformed id", "/api/v1/sellers/not-a-uuid/rank", admin.Token, http.StatusBadRequest},
			{"anonymous, own", "/api/v1/sellers/me/rank", "", http.StatusUnauthorized},
			{"anonymous, any", "/api/v1/sellers/" + *active.SellerID + "/rank", "", http.StatusUnauthorized},
			{"customer, own", "/api/v1/sellers/me/rank", customer.Token, http.StatusForbidden},
			{"admin, own", "/api/v1/sellers/me/rank", admin.Token, http.StatusForbidden},
			{"customer, any", "/api/v1/sellers/" + *active.SellerID + "/rank", customer.Token, http.StatusForbidden},
			{"seller, another", "/api/v1/sellers/" + *quiet.SellerID + "/rank", active.Token, http.StatusForbidden},
			{"seller, itself by id", "/api/v1/sellers/" + *active.SellerID + "/rank", active.Token, http.StatusForbidden},
		} {
			if res := e.tsGet(c.path, nil, c.token); res.Code != c.want {
				t.Errorf("%s: %d %s, want %d", c.name, res.Code, res.Body, c.want)
			}
		}
	}
}

// fakeJobs stands in for workflows.Jobs.
type fakeJobs struct {
	mu    sync.Mutex
	calls int
	err   error
}

func (f *fakeJobs) TriggerTopSellers(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return "", f.err
	}
	return "topsellers-2026-11-21T09", nil
}

func TestRunTopSellersJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	jobs := &fakeJobs{}
	with := tsWithJobs(e, t, jobs)
	admin, seller, customer := e.newAdmin(), e.newSeller(), e.newCustomer()
	post := func(e *testEnv, token string) response {
		res := e.do(req{Method: "POST", Path: "/api/v1/admin/jobs/top-sellers", Token: token})
		tsValidate(t, "POST", "/api/v1/admin/jobs/top-sellers", res)
		return res
	}

	res := post(with, admin.Token)
	var started struct {
		WorkflowID string `json:"workflow_id"`
	}
	res.JSON(t, &started)
	if res.Code != http.StatusAccepted || started.WorkflowID != "topsellers-2026-11-21T09" || jobs.calls != 1 {
		t.Errorf("admin: %d %s after %d calls, want 202 with the workflow id", res.Code, res.Body, jobs.calls)
	}
	for _, c := range []struct {
		name, token string
		want        int
	}{{"anonymous", "", 401}, {"customer", customer.Token, 403}, {"seller", seller.Token, 403}} {
		if res := post(with, c.token); res.Code != c.want {
			t.Errorf("%s: %d, want %d", c.name, res.Code, c.want)
		}
	}
	if jobs.calls != 1 {
		t.Errorf("the job was started %d times, want only by the admin", jobs.calls)
	}
	jobs.err = errors.New("temporal: connection refused")
	if res := post(with, admin.Token); res.Code != http.StatusServiceUnavailable || res.ErrorCode(t) != "unavailable" || strings.Contains(string(res.Body), "refused") {
		t.Errorf("Temporal down: %d %s, want 503 without the cause", res.Code, res.Body)
	}
	if res := post(e, admin.Token); res.Code != http.StatusServiceUnavailable {
		t.Errorf("no Jobs configured: %d, want 503", res.Code)
	}
}
