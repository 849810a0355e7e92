package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

const apiKeysPath = "/api/v1/admin/api-keys"

// apiKeyBody is the APIKeyCreated schema as a client reads it.
type apiKeyBody struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	Key       string     `json:"key"`
}

// newAPIKey creates an ingest key as admin through the API and returns its id and plaintext.
func (e *testEnv) newAPIKey(admin account, name string) (id, key string) {
	e.t.Helper()
	var k apiKeyBody
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: apiKeysPath, Token: admin.Token,
		Body: map[string]any{"name": name, "role": "ingest"}}).JSON(e.t, &k)
	return k.ID, k.Key
}

// TestAPIKeyLifecycle: an admin creates a key, shown once; the key admits its client to the
// ingest route; revoked, it is refused on the very next request.
func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.newAdmin()
	res := e.mustDo(http.StatusCreated, req{Method: "POST", Path: apiKeysPath, Token: admin.Token,
		Body: map[string]any{"name": "  legacy shop feed  ", "role": "ingest"}})
	var k apiKeyBody
	res.JSON(t, &k)
	if _, err := uuid.Parse(k.ID); err != nil || k.Name != "legacy shop feed" || k.Role != "ingest" || k.RevokedAt != nil ||
		time.Since(k.CreatedAt) > time.Minute || !strings.HasPrefix(k.Key, "sfk_") || len(k.Key) < 40 {
		t.Fatalf("created key: %+v", k)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q: a response holding a secret must not be cached", cc)
	}
	if n := e.countRows(`SELECT count(*) FROM api_keys WHERE key_hash = $1 OR name = $1`, k.Key); n != 0 {
		t.Error("the plaintext key was stored")
	}
	ingest := req{Method: "POST", Path: ingestPath, Body: `[]`, Header: map[string]string{"X-API-Key": k.Key}}
	e.mustDo(http.StatusOK, ingest)

	e.mustDo(http.StatusNoContent, req{Method: "DELETE", Path: apiKeysPath + "/" + k.ID, Token: admin.Token})
	if res := e.do(ingest); res.Code != http.StatusUnauthorized || res.ErrorCode(t) != "unauthorized" {
		t.Fatalf("revoked key: %d %s; want 401", res.Code, res.Body)
	}
	e.mustDo(http.StatusNoContent, req{Method: "DELETE", Path: apiKeysPath + "/" + k.ID, Token: admin.Token}) // again: a no-op

	// Another key is unaffected by the revocation.
	_, other := e.newAPIKey(admin, "second feed")
	e.mustDo(http.StatusOK, req{Method: "POST", Path: ingestPath, Body: `[]`, Header: map[string]string{"X-API-Key": other}})
}

func TestAPIKeyCreateAndRevokeErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.newAdmin()
	for _, tc := range []struct {
		name       string
		request    req
		wantStatus int
		wantCode   string
	}{
		{name: "a name is required", wantStatus: 422, wantCode: "validation",
			request: req{Method: "POST", Path: apiKeysPath, Body: map[string]any{"role": "ingest"}}},
		{name: "a blank name is no name", wantStatus: 422, wantCode: "validation",
			request: req{Method: "POST", Path: apiKeysPath, Body: map[string]any{"name": "   "}}},
		{name: "a name of 101 characters is too long", wantStatus: 422, wantCode: "validation",
			request: req{Method: "POST", Path: apiKeysPath, Body: map[string]any{"name": strings.Repeat("n", 101)}}},
		{name: "a name of 100 characters (not bytes) is fine", wantStatus: 201,
			request: req{Method: "POST", Path: apiKeysPath, Body: map[string]any{"name": strings.Repeat("é", 100)}}},
		{name: "the role defaults to ingest", wantStatus: 201,
			request: req{Method: "POST", Path: apiKeysPath, Body: map[string]any{"name": "feed"}}},
		{name: "a key cannot be an admin", wantStatus: 422, wantCode: "validation",
			request: req{Method: "POST", Path: apiKeysPath, Body: map[string]any{"name": "root", "role": "admin"}}},
		{name: "an unknown field is a 400", wantStatus: 400, wantCode: "invalid",
			request: req{Method: "POST", Path: apiKeysPath, Body: map[string]any{"name": "feed", "expires": "never"}}},
		{name: "revoking an unknown key is a 404", wantStatus: 404, wantCode: "not_found",
			request: req{Method: "DELETE", Path: apiKeysPath + "/" + uuid.NewString()}},
		{name: "revoking by a malformed id is a 400", wantStatus: 400, wantCode: "invalid",
			request: req{Method: "DELETE", Path: apiKeysPath + "/42"}},
	} {
		tc.request.Token = admin.Token
		res := e.do(tc.request)
		if res.Code != tc.wantStatus {
			t.Errorf("%s: status %d, want %d: %s", tc.name, res.Code, tc.wantStatus, res.Body)
			continue
		}
		if tc.wantCode != "" {
			if code := res.ErrorCode(t); code != tc.wantCode {
				t.Errorf("%s: code %q, want %q", tc.name, code, tc.wantCode)
			}
			continue
		}
		var k apiKeyBody
		res.JSON(t, &k)
		if k.Role != "ingest" || k.Key == "" {
			t.Errorf("%s: %+v", tc.name, k)
		}
	}
}

// TestAPIKeyAndIngestRoles: who may report orders and manage keys.
func TestAPIKeyAndIngestRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, customer, seller := e.newAdmin(), e.newCustomer(), e.newSeller()
	keyID, key := e.newAPIKey(admin, "feed")
	revokedID, revoked := e.newAPIKey(admin, "old feed")
	e.mustDo(http.StatusNoContent, req{Method: "DELETE", Path: apiKeysPath + "/" + revokedID, Token: admin.Token})
	ingest := func(token, apiKey string) req {
		r := req{Method: "POST", Path: ingestPath, Body: `[]`, Token: token}
		if apiKey != "" {
			r.Header = map[string]string{"X-API-Key": apiKey}
		}
		return r
	}
	for _, tc := range []struct {
		name       string
		request    req
		wantStatus int
	}{
		{name: "anonymous may not ingest", request: ingest("", ""), wantStatus: 401},
		{name: "a customer may not ingest", request: ingest(customer.Token, ""), wantStatus: 403},
		{name: "a seller may not ingest", request: ingest(seller.Token, ""), wantStatus: 403},
		{name: "an admin may ingest", request: ingest(admin.Token, ""), wantStatus: 200},
		{name: "an ingest key may ingest", request: ingest("", key), wantStatus: 200},
		{name: "a revoked key is refused", request: ingest("", revoked), wantStatus: 401},
		{name: "an unknown key is refused", request: ingest("", "sfk_not-a-key"), wantStatus: 401},
		{name: "a bad key is refused even beside a good admin token", request: ingest(admin.Token, "sfk_not-a-key"), wantStatus: 401},
		{name: "an ingest key may not create keys", wantStatus: 403,
			request: req{Method: "POST", Path: apiKeysPath, Body: map[string]any{"name": "mine"}, Header: map[string]string{"X-API-Key": key}}},
		{name: "an ingest key may not revoke keys, not even itself", wantStatus: 403,
			request: req{Method: "DELETE", Path: apiKeysPath + "/" + keyID, Header: map[string]string{"X-API-Key": key}}},
		{name: "an ingest key may not use other admin routes", wantStatus: 403,
			request: req{Method: "POST", Path: "/api/v1/categories", Body: map[string]any{"name": "Keys"}, Header: map[string]string{"X-API-Key": key}}},
		{name: "a customer may not create keys", wantStatus: 403,
			request: req{Method: "POST", Path: apiKeysPath, Body: map[string]any{"name": "mine"}, Token: customer.Token}},
		{name: "anonymous may not create keys", wantStatus: 401,
			request: req{Method: "POST", Path: apiKeysPath, Body: map[string]any{"name": "mine"}}},
		{name: "anonymous may not revoke keys", wantStatus: 401,
			request: req{Method: "DELETE", Path: apiKeysPath + "/" + keyID}},
	} {
		if res := e.do(tc.request); res.Code != tc.wantStatus {
			t.Errorf("%s: status %d, want %d: %s", tc.name, res.Code, tc.wantStatus, res.Body)
		}
	}
	// The refused revocation left the key working.
	e.mustDo(http.StatusOK, ingest("", key))
}
