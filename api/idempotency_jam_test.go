package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"shopflow/api"
)

// Keys that cannot jam: a claim left by a request that died (a crash) is taken over after the
// lease, and a key past SHOPFLOW_IDEMPOTENCY_TTL is free again; until then the usual answers.
func TestIdempotencyKeysCannotJam(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.newAdmin()
	scope := admin.ID + " POST /api/v1/categories"
	claim := func(key, age string, done bool) {
		t.Helper()
		status := "NULL"
		if done {
			status = "201"
		}
		if _, err := e.Store.Pool.Exec(t.Context(), `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response, created_at)
			VALUES ($1, $2, 'another request', `+status+`, '{}', now() - $3::interval)`, scope, key, age); err != nil {
			t.Fatal(err)
		}
	}
	post := func(key, name string) response {
		return e.do(req{Method: "POST", Path: "/api/v1/categories", Token: admin.Token, Body: map[string]any{"name": name},
			Header: map[string]string{"Idempotency-Key": key}})
	}

	claim("crashed", "3 minutes", false) // its request died without an answer
	if res := post("crashed", "Crashed"); res.Code != http.StatusCreated {
		t.Errorf("retry after the lease of an abandoned claim: %d %s, want 201", res.Code, res.Body)
	}
	claim("running", "5 seconds", false) // its request may still be running
	if res := post("running", "Running"); res.Code != http.StatusConflict {
		t.Errorf("a claim within its lease taken over: %d %s, want 409", res.Code, res.Body)
	}
	claim("expired", "25 hours", true) // answered long ago, past the 24 h TTL
	if res := post("expired", "Expired"); res.Code != http.StatusCreated {
		t.Errorf("a key past its TTL: %d %s, want 201 for the new request", res.Code, res.Body)
	}
	claim("kept", "23 hours", true) // answered, within the TTL, for another request
	if res := post("kept", "Kept"); res.Code != http.StatusConflict {
		t.Errorf("a key within its TTL reused for another request: %d %s, want 409", res.Code, res.Body)
	}
}

// A handler that panics leaves no jammed key: the client gets a 500, and its retry with the
// same key runs again instead of getting 409 for ever. (Here the batch workflow client panics
// after the upload is stored.) Creating POSTs beyond the catalog accept the header too: ingest
// batches, API keys, notification files.
func TestIdempotencyKeyFreedWhenTheHandlerPanics(t *testing.T) {
	t.Parallel()
	be := newBatchEnv(t)
	admin := be.newAdmin()
	file := fmt.Appendf(nil, "source,external_order_id,line_no,ordered_at,product_id,quantity,unit_price_cents,currency\n"+
		"legacy,P-1,1,2026-11-20T10:30:00Z,%d,1,500,USD\n", be.products[0])
	send := func(e *testEnv) response {
		return e.do(req{Method: "POST", Path: "/api/v1/ingest/batches", Body: file, Token: admin.Token,
			Header: map[string]string{"Content-Type": "text/csv", "Idempotency-Key": "upload-1"}})
	}
	broken := be.rebuilt(t, func(d *api.Deps) { d.Batches = panickingIngests{} })
	if res := send(broken); res.Code != http.StatusInternalServerError {
		t.Fatalf("upload with the handler panicking: %d %s, want 500", res.Code, res.Body)
	}
	// The upload was stored before the panic, so the retry finds that batch (200) and starts it.
	first := send(be.testEnv)
	if first.Code != http.StatusOK || be.ingests.Started() == nil {
		t.Fatalf("retry after the panic: %d %s, want 200 and the batch started", first.Code, first.Body)
	}
	again := send(be.testEnv)
	if again.Code != first.Code || again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(first.Body) {
		t.Errorf("replay of the upload: %d %v %s", again.Code, again.Header, again.Body)
	}
}

// panickingIngests is a batch workflow client with a bug.
type panickingIngests struct{}

func (panickingIngests) Start(context.Context, string) error { panic("a bug in the batch client") }

// A new API key is shown once and stored nowhere in plain text, not even for an idempotent
// replay: the replay answers the same key id without the secret, and keeps Cache-Control.
func TestIdempotentAPIKeyCreationStoresNoSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.newAdmin()
	create := func() response {
		return e.do(req{Method: "POST", Path: apiKeysPath, Token: admin.Token, Body: map[string]any{"name": "feed", "role": "ingest"},
			Header: map[string]string{"Idempotency-Key": "key-feed"}})
	}
	var first, again struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	res := create()
	res.JSON(t, &first)
	if res.Code != http.StatusCreated || first.Key == "" {
		t.Fatalf("create: %d %s", res.Code, res.Body)
	}
	var stored int
	if err := e.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM idempotency_keys WHERE position($1::bytea IN response) > 0`,
		[]byte(first.Key)).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("the plain API key is stored for replay (%d rows, %v)", stored, err)
	}
	res = create()
	res.JSON(t, &again)
	if res.Code != http.StatusCreated || again.ID != first.ID || again.Key != "" || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("replay: %d %+v %v", res.Code, again, res.Header)
	}
}
