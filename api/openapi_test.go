package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"shopflow/api"
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
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/" {
		t.Errorf("servers: %v, want the one relative server /", doc.Servers)
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
	// Swagger UI resolves the document's server against the document's own URL: whatever
	// address served it, "Try it out" must call that address.
	for _, served := range []string{"http://127.0.0.1:8080/openapi.yaml", "https://shop.example:9443/openapi.yaml"} {
		r := httptest.NewRequest("GET", served, nil)
		w := httptest.NewRecorder()
		e.Server.Handler().ServeHTTP(w, r)
		doc, err := openapi3.NewLoader().LoadFromData(w.Body.Bytes())
		if err != nil || len(doc.Servers) != 1 {
			t.Fatalf("GET %s: %d, servers unreadable: %v", served, w.Code, err)
		}
		base, err := url.Parse(doc.Servers[0].URL)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := url.Parse(served)
		if got := r.URL.ResolveReference(base); got.Host != want.Host || got.Scheme != want.Scheme || got.Path != "/" {
			t.Errorf("GET %s: Try it out would call %s, want %s://%s/", served, got, want.Scheme, want.Host)
		}
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
