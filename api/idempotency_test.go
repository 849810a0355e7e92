package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.newAdmin()
	other := e.newAdmin()
	post := func(tok, key string, body any) response {
		h := map[string]string{}
		if key != "" {
			h["Idempotency-Key"] = key
		}
		return e.do(req{Method: "POST", Path: "/api/v1/categories", Token: tok, Body: body, Header: h})
	}
	count := func(slug string) int {
		var n int
		if err := e.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM categories WHERE slug = $1`, slug).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	first := post(admin.Token, "key-1", map[string]any{"name": "Garden"})
	again := post(admin.Token, "key-1", map[string]any{"name": "Garden"})
	if first.Code != 201 || again.Code != 201 || string(first.Body) != string(again.Body) {
		t.Fatalf("replay differs: %d %s / %d %s", first.Code, first.Body, again.Code, again.Body)
	}
	if again.Header.Get("Idempotent-Replayed") != "true" || again.Header.Get("Location") != first.Header.Get("Location") {
		t.Fatalf("replay headers: %v", again.Header)
	}
	if n := count("garden"); n != 1 {
		t.Fatalf("%d categories after a replay, want 1", n)
	}

	if res := post(admin.Token, "key-1", map[string]any{"name": "Garage"}); res.Code != 409 || !strings.Contains(string(res.Body), "different request") {
		t.Fatalf("same key, other body: %d %s", res.Code, res.Body)
	}
	if n := count("garage"); n != 0 {
		t.Fatal("a refused replay created a category")
	}
	// Keys belong to the caller: another admin's key-1 is a new request (and here a slug clash).
	if res := post(other.Token, "key-1", map[string]any{"name": "Garden"}); res.Code != 409 || res.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("other caller's key-1: %d %s", res.Code, res.Body)
	}
	if res := post(admin.Token, strings.Repeat("k", 256), map[string]any{"name": "Pets"}); res.Code != 400 {
		t.Fatalf("256-char key: %d", res.Code)
	}
	if res := post(admin.Token, "", map[string]any{"name": "Pets"}); res.Code != 201 {
		t.Fatalf("no key at all: %d %s", res.Code, res.Body)
	}

	// The same key sent 20 times at once creates exactly one category; the others replay it or
	// are told the first is still in progress, never a second row.
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Go(func() { codes[i] = post(admin.Token, "burst", map[string]any{"name": "Toys"}).Code })
	}
	wg.Wait()
	created := 0
	for _, c := range codes {
		switch c {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Fatalf("burst status %d in %v", c, codes)
		}
	}
	if created == 0 || count("toys") != 1 {
		t.Fatalf("burst: codes %v, %d rows", codes, count("toys"))
	}
}
