package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/redis/go-redis/v9"

	"shopflow/api"
	"shopflow/auth"
	"shopflow/config"
)

// kin-openapi checks only the formats it knows; "uuid" is not among them by default. Knowing it
// makes every response validated by the harness prove that user and seller ids really are UUIDs.
func init() {
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))
}

// ---------------------------------------------------------------------------------------------
// The document itself

func TestOpenAPIDocumentIsValid(t *testing.T) {
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPISpec)
	if err != nil {
		t.Fatalf("load api/openapi.yaml: %v", err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("api/openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi: %q, want 3.0.3", doc.OpenAPI)
	}
	if doc.Info.Title != "Shopflow API" || doc.Info.Version == "" {
		t.Errorf("info: title %q version %q", doc.Info.Title, doc.Info.Version)
	}
	if !strings.Contains(doc.Info.Description, "minor units") || !strings.Contains(doc.Info.Description, "ISO 4217") {
		t.Error("info.description must say money is minor units plus an ISO 4217 currency")
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "http://127.0.0.1:8080" {
		t.Errorf("servers: %v", doc.Servers)
	}
	if s := doc.Components.SecuritySchemes["bearerAuth"]; s == nil || s.Value.Type != "http" || s.Value.Scheme != "bearer" {
		t.Error("components.securitySchemes.bearerAuth must be an HTTP bearer scheme")
	}

	tags := map[string]bool{}
	for _, tag := range doc.Tags {
		tags[tag.Name] = true
	}
	opIDs := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" {
				t.Errorf("%s: no operationId", where)
			} else if other, dup := opIDs[op.OperationID]; dup {
				t.Errorf("%s: operationId %q also used by %s", where, op.OperationID, other)
			}
			opIDs[op.OperationID] = where
			if len(op.Tags) == 0 {
				t.Errorf("%s: no tags", where)
			}
			for _, tag := range op.Tags {
				if !tags[tag] {
					t.Errorf("%s: tag %q is not declared at the top level", where, tag)
				}
			}
			// The harness validates with IncludeResponseStatus: an error status a handler adds
			// later must still match something, so every operation ends in default -> Error.
			def := op.Responses.Default()
			if def == nil {
				t.Errorf("%s: no default response", where)
			} else if !specIsErrorResponse(def.Value) {
				t.Errorf("%s: the default response is not the Error schema", where)
			}
			for code, resp := range op.Responses.Map() {
				if resp.Value.Headers["X-Request-ID"] == nil {
					t.Errorf("%s %s: X-Request-ID header not documented", where, code)
				}
				if (code[0] == '4' || code[0] == '5') && !specIsErrorResponse(resp.Value) && !(path == "/readyz" && code == "503") {
					t.Errorf("%s %s: error response is not the Error schema", where, code)
				}
			}
			roles, hasRoles := specRoles(op)
			if specAuthRequired(op) {
				if !hasRoles || len(roles) == 0 {
					t.Errorf("%s: needs a token but has no x-roles", where)
				}
				if !strings.Contains(op.Description, "Roles:") {
					t.Errorf("%s: needs a token but its description does not say which roles", where)
				}
				if op.Responses.Status(http.StatusUnauthorized) == nil {
					t.Errorf("%s: needs a token but does not document 401", where)
				}
				if len(roles) < 3 && op.Responses.Status(http.StatusForbidden) == nil {
					t.Errorf("%s: limited to roles %v but does not document 403", where, roles)
				}
			} else if hasRoles {
				t.Errorf("%s: has x-roles but does not require bearerAuth", where)
			}
		}
	}

	// Adding a response field must never be a breaking change: no closed response schemas.
	seen := map[*openapi3.Schema]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, resp := range op.Responses.Map() {
				for ctype, mt := range resp.Value.Content {
					if mt.Schema != nil {
						if where := specClosedSchema(mt.Schema, seen, ""); where != "" {
							t.Errorf("%s %s %s (%s): additionalProperties: false at %s", method, path, code, ctype, where)
						}
					}
				}
			}
		}
	}

	// The Error code enum lists every code the server can send.
	codes := doc.Components.Schemas["Error"].Value.Properties["error"].Value.Properties["code"].Value.Enum
	want := []string{"invalid", "validation", "unauthorized", "forbidden", "not_found", "conflict",
		"too_large", "rate_limited", "unavailable", "internal", "method_not_allowed"}
	for _, w := range want {
		if !slices.Contains(codes, any(w)) {
			t.Errorf("Error.code enum lacks %q", w)
		}
	}
}

func specIsErrorResponse(r *openapi3.Response) bool {
	mt := r.Content.Get("application/json")
	return mt != nil && mt.Schema != nil && mt.Schema.Ref == "#/components/schemas/Error"
}

// specAuthRequired says whether op needs a bearer token (security set, and no anonymous alternative).
func specAuthRequired(op *openapi3.Operation) bool {
	if op.Security == nil || len(*op.Security) == 0 {
		return false
	}
	for _, req := range *op.Security {
		if len(req) == 0 {
			return false
		}
	}
	return true
}

// specRoles reads the operation's x-roles extension.
func specRoles(op *openapi3.Operation) ([]string, bool) {
	v, ok := op.Extensions["x-roles"]
	if !ok {
		return nil, false
	}
	list, _ := v.([]any)
	roles := make([]string, 0, len(list))
	for _, r := range list {
		if s, ok := r.(string); ok {
			roles = append(roles, s)
		}
	}
	return roles, true
}

// specClosedSchema returns where, in s, an object schema forbids additional properties.
func specClosedSchema(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool, at string) string {
	s := ref.Value
	if s == nil || seen[s] {
		return ""
	}
	seen[s] = true
	if ref.Ref != "" {
		at = ref.Ref
	}
	if s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has {
		return at
	}
	var kids []*openapi3.SchemaRef
	for name, p := range s.Properties {
		if w := specClosedSchema(p, seen, at+"."+name); w != "" {
			return w
		}
	}
	if s.Items != nil {
		kids = append(kids, s.Items)
	}
	if s.AdditionalProperties.Schema != nil {
		kids = append(kids, s.AdditionalProperties.Schema)
	}
	kids = append(kids, s.AllOf...)
	kids = append(kids, s.AnyOf...)
	kids = append(kids, s.OneOf...)
	for _, k := range kids {
		if w := specClosedSchema(k, seen, at); w != "" {
			return w
		}
	}
	return ""
}

// ---------------------------------------------------------------------------------------------
// Routes <-> document

func TestOpenAPICoversEveryRoute(t *testing.T) {
	e := newEnv(t)
	doc, _, err := loadSpec()
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	registered := map[string]bool{}
	var missing []string
	for _, r := range e.Server.Routes() {
		p := specPath(r.Path)
		registered[r.Method+" "+p] = true
		item := doc.Paths.Value(p)
		if item == nil || item.GetOperation(r.Method) == nil {
			missing = append(missing, fmt.Sprintf("%s %s (Gin %s)", r.Method, p, r.Path))
		}
	}
	if len(registered) == 0 {
		t.Fatal("the server registered no routes")
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d registered routes are not in api/openapi.yaml:\n  %s", len(missing), strings.Join(missing, "\n  "))
	}

	var phantom []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !registered[method+" "+path] {
				phantom = append(phantom, method+" "+path)
			}
		}
	}
	sort.Strings(phantom)
	if len(phantom) > 0 {
		t.Errorf("%d operations in api/openapi.yaml are not registered routes:\n  %s", len(phantom), strings.Join(phantom, "\n  "))
	}
}

// TestOpenAPISecurityMatchesRoles checks what the document says about authentication against the
// router: an operation needing a token answers 401 without one and 403 to a role outside its
// x-roles, and never 401/403 to a role inside them; a public operation never asks for a token.
// Role checks run before the handlers, so this holds whatever the handlers do; ids in paths are
// ones that do not exist, so no request changes anything.
func TestOpenAPISecurityMatchesRoles(t *testing.T) {
	e := newEnv(t)
	doc, _, err := loadSpec()
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	tokens := map[string]string{
		"customer": e.newCustomer().Token,
		"seller":   e.newSeller().Token,
		"admin":    e.newAdmin().Token,
	}
	concrete := strings.NewReplacer("{id}", "987654321", "{product_id}", "987654321", "{file}", "index.html")
	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, path := range paths {
		item := doc.Paths.Value(path)
		for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			op := item.GetOperation(method)
			if op == nil {
				continue
			}
			url := concrete.Replace(path)
			where := method + " " + path
			anon := e.do(req{Method: method, Path: url})
			if !specAuthRequired(op) {
				if anon.Code == http.StatusUnauthorized || anon.Code == http.StatusForbidden {
					t.Errorf("%s is documented as public but answers %d without a token: %s", where, anon.Code, anon.Body)
				}
				continue
			}
			if anon.Code != http.StatusUnauthorized {
				t.Errorf("%s needs a token per the document but answers %d without one", where, anon.Code)
			}
			roles, _ := specRoles(op)
			for _, role := range []string{"customer", "seller", "admin"} {
				res := e.do(req{Method: method, Path: url, Token: tokens[role]})
				allowed := slices.Contains(roles, role)
				switch {
				case allowed && (res.Code == http.StatusUnauthorized || res.Code == http.StatusForbidden):
					t.Errorf("%s: x-roles %v includes %s, but it gets %d: %s", where, roles, role, res.Code, res.Body)
				case !allowed && res.Code != http.StatusForbidden:
					t.Errorf("%s: x-roles %v excludes %s, but it gets %d, not 403", where, roles, role, res.Code)
				}
			}
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Serving the document and the UI

func TestOpenAPIServedAndDocsUI(t *testing.T) {
	e := newEnv(t)

	res := e.mustDo(http.StatusOK, req{Method: "GET", Path: "/openapi.yaml"})
	if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "yaml") {
		t.Errorf("/openapi.yaml content type %q, want a yaml one", ct)
	}
	if string(res.Body) != string(api.OpenAPISpec) {
		t.Error("/openapi.yaml does not serve the embedded document")
	}

	res = e.do(req{Method: "GET", Path: "/docs"})
	if res.Code != http.StatusMovedPermanently || res.Header.Get("Location") != "/docs/" {
		t.Errorf("GET /docs: %d Location %q, want 301 to /docs/", res.Code, res.Header.Get("Location"))
	}

	res = e.mustDo(http.StatusOK, req{Method: "GET", Path: "/docs/"})
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/docs/ content type %q", ct)
	}
	if !strings.Contains(strings.ToLower(string(res.Body)), "swagger-ui") {
		t.Error("/docs/ does not look like Swagger UI")
	}

	res = e.mustDo(http.StatusOK, req{Method: "GET", Path: "/docs/swagger-initializer.js"})
	if !strings.Contains(string(res.Body), `"/openapi.yaml"`) {
		t.Errorf("swagger-initializer.js does not point at /openapi.yaml: %s", res.Body)
	}

	res = e.mustDo(http.StatusOK, req{Method: "GET", Path: "/docs/swagger-ui.css"})
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("swagger-ui.css content type %q", ct)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/docs/swagger-ui-bundle.js"})
	e.mustDo(http.StatusOK, req{Method: "GET", Path: "/docs/favicon-32x32.png"})

	res = e.mustDo(http.StatusNotFound, req{Method: "GET", Path: "/docs/no-such-file.js"})
	if code := res.ErrorCode(t); code != "not_found" {
		t.Errorf("unknown docs file: code %q", code)
	}
}

// ---------------------------------------------------------------------------------------------
// Real responses against the document

// TestResponsesMatchSpec drives the implemented routes through success and failure; e.do checks
// every response against api/openapi.yaml. Responses the spec router cannot place (an unknown
// path, a wrong method) are checked here against the Error schema directly.
func TestResponsesMatchSpec(t *testing.T) {
	e := newEnv(t, func(c *config.Config) {
		c.BodyLimitBytes = 4096
		c.LoginLimitPerAccount = 3
	})
	doc, _, err := loadSpec()
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	const pw = "a-long-password-1"

	t.Run("register", func(t *testing.T) {
		e := specEnvFor(e, t)
		email := "Reg-" + randHex(4) + "@Example.com"
		res := e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/auth/register",
			Body: map[string]any{"email": email, "password": pw, "name": "Riley"}})
		if loc := res.Header.Get("Location"); loc != "/api/v1/users/me" {
			t.Errorf("Location %q", loc)
		}
		var u map[string]any
		res.JSON(t, &u)
		if u["role"] != "customer" || u["seller_id"] != nil || u["store_name"] != nil {
			t.Errorf("customer: %v", u)
		}

		store := "Shop " + randHex(4)
		res = e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/auth/register",
			Body: map[string]any{"email": "s-" + randHex(4) + "@example.com", "password": pw, "role": "seller", "store_name": store}})
		res.JSON(t, &u)
		if u["role"] != "seller" || u["seller_id"] == nil || u["store_name"] != store {
			t.Errorf("seller: %v", u)
		}

		for _, c := range []struct {
			name string
			want int
			code string
			body any
		}{
			{"email taken, other case", 409, "conflict", map[string]any{"email": strings.ToLower(email), "password": pw}},
			{"store name taken", 409, "conflict", map[string]any{"email": "s-" + randHex(4) + "@example.com", "password": pw, "role": "seller", "store_name": strings.ToUpper(store)}},
			{"malformed JSON", 400, "invalid", `{"email":`},
			{"unknown field", 400, "invalid", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": pw, "admin": true}},
			{"wrong type", 400, "invalid", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": 1234567890}},
			{"not an object", 400, "invalid", `[1,2]`},
			{"blank body", 400, "invalid", " "},
			{"short password", 422, "validation", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": "short"}},
			{"bad email", 422, "validation", map[string]any{"email": "not-an-email", "password": pw}},
			{"admin role", 422, "validation", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": pw, "role": "admin"}},
			{"seller without store", 422, "validation", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": pw, "role": "seller"}},
			{"seller with blank store", 422, "validation", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": pw, "role": "seller", "store_name": "   "}},
			{"customer with store", 422, "validation", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": pw, "store_name": "Nope"}},
			{"too large", 413, "too_large", map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": pw, "name": strings.Repeat("n", 5000)}},
		} {
			res := e.do(req{Method: "POST", Path: "/api/v1/auth/register", Body: c.body})
			if res.Code != c.want || res.ErrorCode(t) != c.code {
				t.Errorf("%s: %d %s, want %d %s", c.name, res.Code, res.Body, c.want, c.code)
			}
		}
		res = e.mustDo(http.StatusUnprocessableEntity, req{Method: "POST", Path: "/api/v1/auth/register",
			Body: map[string]any{"email": "x-" + randHex(4) + "@example.com", "password": pw, "role": "seller"}})
		var eb struct {
			Error struct {
				Details struct {
					Fields map[string]string `json:"fields"`
				} `json:"details"`
			} `json:"error"`
		}
		res.JSON(t, &eb)
		if eb.Error.Details.Fields["store_name"] == "" {
			t.Errorf("422 without details.fields.store_name: %s", res.Body)
		}
	})

	t.Run("login", func(t *testing.T) {
		e := specEnvFor(e, t)
		email := "l-" + randHex(4) + "@example.com"
		e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/auth/register", Body: map[string]any{"email": email, "password": pw}})

		res := e.mustDo(http.StatusOK, req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": strings.ToUpper(email), "password": pw}})
		var tok map[string]any
		res.JSON(t, &tok)
		if tok["token_type"] != "Bearer" || tok["access_token"] == "" {
			t.Errorf("token: %v", tok)
		}

		e.mustDo(http.StatusBadRequest, req{Method: "POST", Path: "/api/v1/auth/login", Body: `{"email":1}`})
		e.mustDo(http.StatusUnprocessableEntity, req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": email}})
		e.mustDo(http.StatusUnauthorized, req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": "nobody-" + randHex(4) + "@example.com", "password": pw}})

		// The per-account budget is 3: one login above, two wrong passwords, then refused.
		victim := map[string]any{"email": email, "password": "wrong-password-1"}
		e.mustDo(http.StatusUnauthorized, req{Method: "POST", Path: "/api/v1/auth/login", Body: victim})
		e.mustDo(http.StatusUnauthorized, req{Method: "POST", Path: "/api/v1/auth/login", Body: victim})
		res = e.mustDo(http.StatusTooManyRequests, req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": email, "password": pw}})
		if res.ErrorCode(t) != "rate_limited" || res.Header.Get("Retry-After") == "" {
			t.Errorf("429 without rate_limited and Retry-After: %v %s", res.Header, res.Body)
		}
	})

	t.Run("login and readyz with Redis down", func(t *testing.T) {
		dead := specDeadRedisEnv(e, t)
		res := dead.mustDo(http.StatusServiceUnavailable, req{Method: "POST", Path: "/api/v1/auth/login",
			Body: map[string]any{"email": "x@example.com", "password": pw}})
		if res.ErrorCode(t) != "unavailable" {
			t.Errorf("login with Redis down: %s", res.Body)
		}
		res = dead.mustDo(http.StatusServiceUnavailable, req{Method: "GET", Path: "/readyz"})
		var ready struct {
			Status string                                    `json:"status"`
			Checks map[string]struct{ Status, Error string } `json:"checks"`
		}
		res.JSON(t, &ready)
		if ready.Status != "not_ready" || ready.Checks["redis"].Status != "down" || ready.Checks["redis"].Error == "" ||
			ready.Checks["postgres"].Status != "ok" {
			t.Errorf("readyz with Redis down: %s", res.Body)
		}
	})

	t.Run("users/me", func(t *testing.T) {
		e := specEnvFor(e, t)
		for _, a := range []account{e.newCustomer(), e.newSeller(), e.newAdmin()} {
			res := e.mustDo(http.StatusOK, req{Method: "GET", Path: "/api/v1/users/me", Token: a.Token})
			var u map[string]any
			res.JSON(t, &u)
			if u["id"] != a.ID || u["role"] != a.Role {
				t.Errorf("me as %s: %s", a.Role, res.Body)
			}
		}

		res := e.mustDo(http.StatusUnauthorized, req{Method: "GET", Path: "/api/v1/users/me"})
		if res.Header.Get("WWW-Authenticate") == "" {
			t.Error("401 without a token has no WWW-Authenticate")
		}
		e.mustDo(http.StatusUnauthorized, req{Method: "GET", Path: "/api/v1/users/me", Token: "not-a-jwt"})
		e.mustDo(http.StatusUnauthorized, req{Method: "GET", Path: "/api/v1/users/me", Header: map[string]string{"Authorization": "Basic dXNlcjpwdw=="}})

		c := e.newCustomer()
		past := &auth.Tokens{Secret: e.Tokens.Secret, Issuer: e.Tokens.Issuer, TTL: time.Minute,
			Now: func() time.Time { return time.Now().Add(-time.Hour) }}
		expired, _, err := past.Issue(c.ID, c.Role, "")
		if err != nil {
			t.Fatal(err)
		}
		res = e.mustDo(http.StatusUnauthorized, req{Method: "GET", Path: "/api/v1/users/me", Token: expired})
		if !strings.Contains(string(res.Body), "expired") {
			t.Errorf("expired token: %s", res.Body)
		}

		if _, err := e.Store.Pool.Exec(context.Background(), `DELETE FROM users WHERE id = $1`, c.ID); err != nil {
			t.Fatal(err)
		}
		e.mustDo(http.StatusUnauthorized, req{Method: "GET", Path: "/api/v1/users/me", Token: c.Token})
	})

	t.Run("bad token on public routes", func(t *testing.T) {
		e := specEnvFor(e, t)
		for _, p := range []string{"/api/v1/categories", "/api/v1/products", "/api/v1/products/1"} {
			res := e.mustDo(http.StatusUnauthorized, req{Method: "GET", Path: p, Token: "not-a-jwt"})
			if res.ErrorCode(t) != "unauthorized" {
				t.Errorf("%s: %s", p, res.Body)
			}
		}
		// Probes ignore Authorization: a stale header must never make a live process look dead.
		e.mustDo(http.StatusOK, req{Method: "GET", Path: "/healthz", Token: "not-a-jwt"})
	})

	t.Run("operations", func(t *testing.T) {
		e := specEnvFor(e, t)
		res := e.mustDo(http.StatusOK, req{Method: "GET", Path: "/healthz"})
		if !strings.Contains(string(res.Body), `"ok"`) {
			t.Errorf("healthz: %s", res.Body)
		}
		res = e.mustDo(http.StatusOK, req{Method: "GET", Path: "/readyz"})
		if !strings.Contains(string(res.Body), `"ready"`) {
			t.Errorf("readyz: %s", res.Body)
		}
		res = e.mustDo(http.StatusOK, req{Method: "GET", Path: "/metrics"})
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") ||
			!strings.Contains(string(res.Body), "shopflow_http_requests_total") {
			t.Errorf("metrics: %s %.300s", res.Header.Get("Content-Type"), res.Body)
		}
		res = e.mustDo(http.StatusOK, req{Method: "GET", Path: "/openapi.yaml"})
		if len(res.Body) == 0 {
			t.Error("empty /openapi.yaml")
		}
		res = e.mustDo(http.StatusOK, req{Method: "GET", Path: "/healthz", Header: map[string]string{"X-Request-ID": "probe-42"}})
		if res.Header.Get("X-Request-ID") != "probe-42" {
			t.Errorf("X-Request-ID not echoed: %q", res.Header.Get("X-Request-ID"))
		}
	})

	t.Run("unknown route", func(t *testing.T) {
		e := specEnvFor(e, t)
		for _, p := range []string{"/api/v1/nope", "/nope", "/api/v2/products"} {
			res := e.mustDo(http.StatusNotFound, req{Method: "GET", Path: p})
			specAssertErrorResponse(t, doc, "NotFound", res)
			if res.ErrorCode(t) != "not_found" {
				t.Errorf("%s: %s", p, res.Body)
			}
		}
	})

	t.Run("wrong method", func(t *testing.T) {
		e := specEnvFor(e, t)
		for _, c := range []struct{ method, path, allow string }{
			{"POST", "/healthz", "GET"},
			{"DELETE", "/api/v1/auth/login", "POST"},
			{"PUT", "/api/v1/users/me", "GET"},
		} {
			res := e.mustDo(http.StatusMethodNotAllowed, req{Method: c.method, Path: c.path})
			specAssertErrorResponse(t, doc, "MethodNotAllowed", res)
			if res.ErrorCode(t) != "method_not_allowed" || !strings.Contains(res.Header.Get("Allow"), c.allow) {
				t.Errorf("%s %s: Allow %q %s", c.method, c.path, res.Header.Get("Allow"), res.Body)
			}
		}
	})
}

// TestResponsesMatchSpecRejectsMismatches is the negative control: the validation the harness
// runs on every response does fail on responses that break the document.
func TestResponsesMatchSpecRejectsMismatches(t *testing.T) {
	jsonHeader := func() http.Header {
		h := http.Header{}
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("X-Request-ID", "req-1")
		return h
	}
	textHeader := http.Header{}
	textHeader.Set("Content-Type", "text/plain")
	textHeader.Set("X-Request-ID", "r")
	user := func(edit func(map[string]any)) []byte {
		u := map[string]any{"id": "0b7e6a8c-3f1e-4b8a-9d2a-2c7f4f0e9a11", "email": "a@example.com", "name": "A",
			"role": "seller", "seller_id": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f", "store_name": "S", "created_at": "2025-01-02T03:04:05.123456Z"}
		if edit != nil {
			edit(u)
		}
		b, _ := json.Marshal(u)
		return b
	}
	cases := []struct {
		name         string
		method, path string
		status       int
		header       http.Header
		body         []byte
		ok           bool
	}{
		{"valid user (positive control)", "GET", "/api/v1/users/me", 200, jsonHeader(), user(nil), true},
		{"user missing name", "GET", "/api/v1/users/me", 200, jsonHeader(), user(func(u map[string]any) { delete(u, "name") }), false},
		{"user id of wrong type", "GET", "/api/v1/users/me", 200, jsonHeader(), user(func(u map[string]any) { u["id"] = 42 }), false},
		{"user id not a uuid", "GET", "/api/v1/users/me", 200, jsonHeader(), user(func(u map[string]any) { u["id"] = "user-42" }), false},
		{"seller_id not a uuid", "GET", "/api/v1/users/me", 200, jsonHeader(), user(func(u map[string]any) { u["seller_id"] = "s1" }), false},
		{"role outside the enum", "GET", "/api/v1/users/me", 200, jsonHeader(), user(func(u map[string]any) { u["role"] = "root" }), false},
		{"created_at not a date-time", "GET", "/api/v1/users/me", 200, jsonHeader(), user(func(u map[string]any) { u["created_at"] = "yesterday" }), false},
		{"extra field is fine", "GET", "/api/v1/users/me", 200, jsonHeader(), user(func(u map[string]any) { u["avatar"] = "x" }), true},
		{"no X-Request-ID", "GET", "/api/v1/users/me", 200, http.Header{"Content-Type": {"application/json"}}, user(nil), false},
		{"undocumented content type", "GET", "/api/v1/users/me", 200, textHeader, user(nil), false},
		{"error body on 200", "GET", "/api/v1/users/me", 200, jsonHeader(), []byte(`{"error":{"code":"internal","message":"x"}}`), false},
		{"error with unknown code", "GET", "/api/v1/users/me", 401, jsonHeader(), []byte(`{"error":{"code":"nope","message":"x"}}`), false},
		{"error without message", "GET", "/api/v1/users/me", 500, jsonHeader(), []byte(`{"error":{"code":"internal"}}`), false},
		{"undocumented status, Error body (default)", "GET", "/api/v1/users/me", 418, jsonHeader(), []byte(`{"error":{"code":"conflict","message":"x"}}`), true},
		{"429 without Retry-After", "POST", "/api/v1/auth/login", 429, jsonHeader(), []byte(`{"error":{"code":"rate_limited","message":"x"}}`), false},
		{"201 register without Location", "POST", "/api/v1/auth/register", 201, jsonHeader(), user(nil), false},
		{"root category", "GET", "/api/v1/categories/1", 200, jsonHeader(),
			[]byte(`{"id":1,"parent_id":null,"name":"Shoes","slug":"shoes","created_at":"2025-01-02T03:04:05Z","updated_at":"2025-01-02T03:04:05Z"}`), true},
		{"category without parent_id", "GET", "/api/v1/categories/1", 200, jsonHeader(),
			[]byte(`{"id":1,"name":"Shoes","slug":"shoes","created_at":"2025-01-02T03:04:05Z","updated_at":"2025-01-02T03:04:05Z"}`), false},
		{"category with a bad slug", "GET", "/api/v1/categories/1", 200, jsonHeader(),
			[]byte(`{"id":1,"parent_id":null,"name":"Shoes","slug":"Shoes!","created_at":"2025-01-02T03:04:05Z","updated_at":"2025-01-02T03:04:05Z"}`), false},
		{"empty cart", "GET", "/api/v1/cart", 200, jsonHeader(),
			[]byte(`{"items":[],"item_count":0,"subtotal_cents":0,"currency":null,"updated_at":null}`), true},
		{"cart with a float subtotal", "GET", "/api/v1/cart", 200, jsonHeader(),
			[]byte(`{"items":[],"item_count":0,"subtotal_cents":1.5,"currency":null,"updated_at":null}`), false},
		{"cart with a lower-case currency", "GET", "/api/v1/cart", 200, jsonHeader(),
			[]byte(`{"items":[],"item_count":0,"subtotal_cents":0,"currency":"eur","updated_at":null}`), false},
		{"last product page", "GET", "/api/v1/products", 200, jsonHeader(), []byte(`{"items":[],"next_cursor":null}`), true},
		{"product page without next_cursor", "GET", "/api/v1/products", 200, jsonHeader(), []byte(`{"items":[]}`), false},
		{"readyz with an unknown status", "GET", "/readyz", 503, jsonHeader(), []byte(`{"status":"meh","checks":{}}`), false},
	}
	for _, c := range cases {
		err := specValidateResponse(t, c.method, c.path, c.status, c.header, c.body)
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: rejected: %v", c.name, err)
		case !c.ok && err == nil:
			t.Errorf("%s: accepted, but it breaks api/openapi.yaml", c.name)
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Helpers (prefixed spec* to stay clear of other test files' names)

// specEnvFor is e reporting to t, for use inside a subtest.
func specEnvFor(e *testEnv, t testing.TB) *testEnv {
	c := *e
	c.t = t
	return &c
}

// specDeadRedisEnv is e's API with Redis unreachable (and a readiness check that says so).
func specDeadRedisEnv(e *testEnv, t testing.TB) *testEnv {
	t.Helper()
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 300 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { dead.Close() })
	return e.rebuilt(t, func(d *api.Deps) {
		d.Redis = dead
		d.Checks = []api.Check{
			{Name: "postgres", Probe: e.Store.Ping},
			{Name: "redis", Probe: func(ctx context.Context) error { return dead.Ping(ctx).Err() }},
		}
	})
}

// specValidateResponse runs the harness's validation on a made-up response.
func specValidateResponse(t testing.TB, method, path string, status int, header http.Header, body []byte) error {
	t.Helper()
	_, router, err := loadSpec()
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	hr := httptest.NewRequest(method, "http://localhost"+path, nil)
	route, params, err := router.FindRoute(hr)
	if err != nil {
		t.Fatalf("%s %s: not in the spec router: %v", method, path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status:  status,
		Header:  header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// specAssertErrorResponse checks res against components.responses[name], for responses the spec
// router cannot attribute to an operation.
func specAssertErrorResponse(t testing.TB, doc *openapi3.T, name string, res response) {
	t.Helper()
	ref := doc.Components.Responses[name]
	if ref == nil || ref.Value == nil {
		t.Fatalf("components.responses.%s is missing", name)
	}
	for h, hdr := range ref.Value.Headers {
		if hdr.Value.Required && res.Header.Get(h) == "" {
			t.Errorf("%s: header %s missing", name, h)
		}
	}
	mt := ref.Value.Content.Get(res.Header.Get("Content-Type"))
	if mt == nil || mt.Schema == nil {
		t.Fatalf("%s: content type %q not documented", name, res.Header.Get("Content-Type"))
	}
	var v any
	res.JSON(t, &v)
	if err := mt.Schema.Value.VisitJSON(v, openapi3.VisitAsResponse()); err != nil {
		t.Errorf("%d does not match components.responses.%s: %v\nbody: %s", res.Code, name, err, res.Body)
	}
}
