package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"shopflow/api"
	"shopflow/app"
	"shopflow/auth"
	"shopflow/config"
	"shopflow/store"
	"shopflow/store/storetest"
	"shopflow/workflows"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

// testEnv is one API over its own fresh database and its own Redis key prefix.
type testEnv struct {
	t      testing.TB
	app    *app.App
	Server *api.Server
	Store  *store.Store
	Redis  redis.UniversalClient
	Tokens *auth.Tokens
	Config config.Config
	// Sagas records what the API asked of checkout workflows (no Temporal in API tests).
	Sagas *fakeSagas
}

// fakeSagas stands in for workflows.Checkouts and records every call.
type fakeSagas struct {
	mu       sync.Mutex
	Started  []string // order ids
	Canceled map[string]string
	Payments map[string]workflows.PaymentResult
	// StartErr, when set, is returned by Start (Temporal down).
	StartErr error
	// NotRunning makes CancelOrder and PaymentResult answer workflows.ErrNoSaga.
	NotRunning bool
	// TooLate makes CancelOrder answer that the order was placed first.
	TooLate bool
}

func (f *fakeSagas) Start(_ context.Context, orderID, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.StartErr != nil {
		return f.StartErr
	}
	f.Started = append(f.Started, orderID)
	return nil
}

func (f *fakeSagas) CancelOrder(_ context.Context, orderID, reason string) (workflows.CancelOutcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.NotRunning {
		return workflows.CancelOutcome{}, workflows.ErrNoSaga
	}
	if f.TooLate {
		return workflows.CancelOutcome{}, workflows.ErrCancelTooLate
	}
	if f.Canceled == nil {
		f.Canceled = map[string]string{}
	}
	f.Canceled[orderID] = reason
	return workflows.CancelOutcome{Canceled: true, Status: "canceled", Reason: reason}, nil
}

func (f *fakeSagas) PaymentResult(_ context.Context, orderID string, r workflows.PaymentResult) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.NotRunning {
		return workflows.ErrNoSaga
	}
	if f.Payments == nil {
		f.Payments = map[string]workflows.PaymentResult{}
	}
	f.Payments[orderID] = r
	return nil
}

// StartedCount is how many sagas were started (safe under concurrency).
func (f *fakeSagas) StartedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.Started)
}

// envOption adjusts the config before the server is built.
type envOption func(*config.Config)

func newEnv(t testing.TB, opts ...envOption) *testEnv {
	t.Helper()
	redisURL := os.Getenv("SHOPFLOW_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	cfg, err := config.Load([]string{"SHOPFLOW_JWT_SECRET=test-secret-test-secret-test-secret!", "SHOPFLOW_BCRYPT_COST=4",
		"SHOPFLOW_DATABASE_URL=" + storetest.WithMaxConns(storetest.NewDatabase(t), 8), "SHOPFLOW_REDIS_URL=" + redisURL,
		"SHOPFLOW_REDIS_PREFIX=test:" + randHex(6) + ":", "SHOPFLOW_DEV_ENDPOINTS=true", "SHOPFLOW_PAYMENT_PROVIDER=sandbox",
		"SHOPFLOW_REPORTS_DIR=" + t.TempDir(),
		// Tests register and call far faster than any client may; the limit's own tests turn it on.
		"SHOPFLOW_RATE_LIMIT_AUTH=0", "SHOPFLOW_RATE_LIMIT_WRITES=0", "SHOPFLOW_RATE_LIMIT_READS=0"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		o(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	a, err := app.Open(context.Background(), cfg, app.Options{Logger: logger, NoTemporal: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if err := a.Redis.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", redisURL, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := a.Redis.Keys(ctx, cfg.RedisPrefix+"*").Result()
		if len(keys) > 0 {
			a.Redis.Del(ctx, keys...)
		}
	})
	sagas := &fakeSagas{}
	srv, err := a.API(func(d *api.Deps) { d.Checkouts = sagas })
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, app: a, Server: srv, Store: a.Store, Redis: a.Redis, Tokens: a.Tokens, Config: cfg, Sagas: sagas}
}

// rebuilt is e's API built anew (a new process: nothing cached, fresh metrics) with adjust
// applied to its dependencies, for t.
func (e *testEnv) rebuilt(t testing.TB, adjust func(*api.Deps)) *testEnv {
	t.Helper()
	srv, err := e.app.API(func(d *api.Deps) {
		*d = e.Server.Deps
		d.Registry = prometheus.NewRegistry()
		adjust(d)
	})
	if err != nil {
		t.Fatal(err)
	}
	c := *e
	c.t, c.Server, c.Redis = t, srv, srv.Redis
	return &c
}

// response is a recorded response.
type response struct {
	Code   int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it is not JSON.
func (r response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response %d is not JSON (%v): %s", r.Code, err, r.Body)
	}
}

// ErrorCode is the error.code of an error response.
func (r response) ErrorCode(t testing.TB) string {
	t.Helper()
	var b api.ErrorBody
	r.JSON(t, &b)
	return string(b.Error.Code)
}

// req describes one request; Body may be a string (sent raw) or any value (sent as JSON).
type req struct {
	Method, Path string
	Body         any
	Token        string
	Header       map[string]string
}

// do serves one request through the whole router and checks the response against
// api/openapi.yaml: a documented route answering outside its documented schema fails the test.
func (e *testEnv) do(r req) response {
	e.t.Helper()
	var body io.Reader
	var raw []byte
	switch b := r.Body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			e.t.Fatal(err)
		}
	}
	if raw != nil {
		body = bytes.NewReader(raw)
	}
	hr := httptest.NewRequest(r.Method, r.Path, body)
	if raw != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Header {
		hr.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.Server.Handler().ServeHTTP(rec, hr)
	res := response{Code: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	validateAgainstSpec(e.t, r.Method, r.Path, raw, res)
	return res
}

// mustDo is do that fails the test unless the status is want.
func (e *testEnv) mustDo(want int, r req) response {
	e.t.Helper()
	res := e.do(r)
	if res.Code != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", r.Method, r.Path, res.Code, want, res.Body)
	}
	return res
}

// account is a registered user with a token.
type account struct {
	store.User
	Token    string
	Password string
}

// newCustomer registers a customer through the API and logs it in.
func (e *testEnv) newCustomer() account {
	e.t.Helper()
	return e.registerAndLogin(map[string]any{"email": "c-" + randHex(5) + "@example.com", "password": "a-long-password-1", "name": "Casey"})
}

// newSeller registers a seller through the API and logs it in.
func (e *testEnv) newSeller() account {
	e.t.Helper()
	return e.registerAndLogin(map[string]any{"email": "s-" + randHex(5) + "@example.com", "password": "a-long-password-1",
		"role": "seller", "store_name": "Store " + randHex(4)})
}

// newAdmin creates an admin the way operators do (no API for it) and logs it in.
func (e *testEnv) newAdmin() account {
	e.t.Helper()
	email := "a-" + randHex(5) + "@example.com"
	pw, _ := auth.NewPasswords(4)
	hash, _ := pw.Hash("an-admin-password-1")
	if _, err := e.Store.EnsureAdmin(context.Background(), email, hash); err != nil {
		e.t.Fatal(err)
	}
	return e.login(email, "an-admin-password-1")
}

func (e *testEnv) registerAndLogin(body map[string]any) account {
	e.t.Helper()
	e.mustDo(http.StatusCreated, req{Method: "POST", Path: "/api/v1/auth/register", Body: body})
	return e.login(body["email"].(string), body["password"].(string))
}

func (e *testEnv) login(email, password string) account {
	e.t.Helper()
	res := e.mustDo(http.StatusOK, req{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]any{"email": email, "password": password}})
	var tok struct {
		AccessToken string     `json:"access_token"`
		User        store.User `json:"user"`
	}
	res.JSON(e.t, &tok)
	return account{User: tok.User, Token: tok.AccessToken, Password: password}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var spec struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

func loadSpec() (*openapi3.T, routers.Router, error) {
	spec.once.Do(func() {
		loader := openapi3.NewLoader()
		spec.doc, spec.err = loader.LoadFromData(api.OpenAPISpec)
		if spec.err != nil {
			return
		}
		if spec.err = spec.doc.Validate(context.Background()); spec.err != nil {
			return
		}
		// Validate against the path only: the servers list names deployments, not the test host.
		spec.doc.Servers = nil
		spec.router, spec.err = gorillamux.NewRouter(spec.doc)
	})
	return spec.doc, spec.router, spec.err
}

func validateAgainstSpec(t testing.TB, method, path string, reqBody []byte, res response) {
	t.Helper()
	_, router, err := loadSpec()
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	hr := httptest.NewRequest(method, "http://localhost"+path, bytes.NewReader(reqBody))
	route, params, err := router.FindRoute(hr)
	if err != nil {
		return // undocumented paths are caught by TestOpenAPICoversEveryRoute
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status:  res.Code,
		Header:  res.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(res.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s -> %d does not match api/openapi.yaml: %v\nbody: %s", method, path, res.Code, err, truncate(res.Body))
	}
}

func truncate(b []byte) string {
	s := string(b)
	if len(s) > 600 {
		return s[:600] + "..."
	}
	return s
}

// specPath turns a Gin route (/products/:id) into its OpenAPI form (/products/{id}).
func specPath(ginPath string) string {
	parts := strings.Split(ginPath, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

var _ = fmt.Sprintf
var _ = time.Second
