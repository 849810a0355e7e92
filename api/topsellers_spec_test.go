package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/redis/go-redis/v9"

	"shopflow/api"
	"shopflow/ranking"
)

// tsSameWindow says whether a window computed now is the published one, or the next (the
// hour turned in between; the seeded sales are in both).
func tsSameWindow(got, published ranking.Window) bool {
	return got == published || got == ranking.Window{From: published.From.Add(time.Hour), To: published.To.Add(time.Hour)}
}

// tsWantCacheControl checks the public Cache-Control: until a minute after the next refresh
// at minute 1 of the hour.
func tsWantCacheControl(t *testing.T, res response, now time.Time) {
	t.Helper()
	cc := res.Header.Get("Cache-Control")
	age, err := strconv.Atoi(strings.TrimPrefix(cc, "public, max-age="))
	next := now.Truncate(time.Hour).Add(time.Minute)
	if !now.Before(next) {
		next = next.Add(time.Hour)
	}
	want := int(next.Add(time.Minute).Sub(now) / time.Second)
	if err != nil || age < want-2 || age > want+2 || age < 60 || age > 3720 {
		t.Errorf("Cache-Control %q, want public, max-age=%d (about)", cc, want)
	}
}

// tsRestarted is e's API as a new process would serve it: nothing cached.
func tsRestarted(e *testEnv, t testing.TB) *testEnv {
	t.Helper()
	return e.rebuilt(t, func(*api.Deps) {})
}

// tsDeadRedis is e's API with Redis unreachable.
func tsDeadRedis(e *testEnv, t testing.TB) *testEnv {
	t.Helper()
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 300 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { dead.Close() })
	return e.rebuilt(t, func(d *api.Deps) { d.Redis = dead })
}

// tsWithJobs is e's API with jobs behind POST /admin/jobs/top-sellers.
func tsWithJobs(e *testEnv, t testing.TB, jobs api.Jobs) *testEnv {
	t.Helper()
	return e.rebuilt(t, func(d *api.Deps) { d.Jobs = jobs })
}

// tsSpec is api/openapi.yaml with this feature's additions (docs/openapi/topsellers.yaml)
// merged in as the lead merges them, unless they already are.
var tsSpec struct {
	once   sync.Once
	router routers.Router
	err    error
}

func tsRouter() (routers.Router, error) {
	tsSpec.once.Do(func() {
		merged := string(api.OpenAPISpec)
		if !strings.Contains(merged, "/api/v1/categories/{id}/top-sellers:") {
			add, err := os.ReadFile("../docs/openapi/topsellers.yaml")
			if err != nil {
				tsSpec.err = err
				return
			}
			paths, schemas, ok := strings.Cut(string(add), "\nschemas:\n")
			_, paths, found := strings.Cut(paths, "\npaths:\n")
			if !ok || !found {
				tsSpec.err = errors.New("docs/openapi/topsellers.yaml: want top-level paths: then schemas:")
				return
			}
			before, after, ok := strings.Cut(merged, "\ncomponents:\n")
			if !ok {
				tsSpec.err = errors.New("api/openapi.yaml: no components:")
				return
			}
			merged = before + "\n" + paths + "\ncomponents:\n" + strings.TrimRight(after, "\n") + "\n" + schemas
		}
		doc, err := openapi3.NewLoader().LoadFromData([]byte(merged))
		if err == nil {
			err = doc.Validate(context.Background())
		}
		if err != nil {
			tsSpec.err = fmt.Errorf("api/openapi.yaml + docs/openapi/topsellers.yaml: %w", err)
			return
		}
		doc.Servers = nil
		tsSpec.router, tsSpec.err = gorillamux.NewRouter(doc)
	})
	return tsSpec.router, tsSpec.err
}

// tsValidate checks a response of this feature's routes against the merged document.
func tsValidate(t testing.TB, method, path string, res response) {
	t.Helper()
	router, err := tsRouter()
	if err != nil {
		t.Fatal(err)
	}
	hr := httptest.NewRequest(method, "http://localhost"+path, nil)
	route, params, err := router.FindRoute(hr)
	if err != nil {
		t.Fatalf("%s %s: not in the merged document: %v", method, path, err)
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
		t.Errorf("%s %s -> %d does not match the merged document: %v\nbody: %s", method, path, res.Code, err, truncate(res.Body))
	}
	if res.Code == http.StatusOK && strings.Contains(path, "/top-sellers") {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(res.Body, &probe); err != nil || len(probe) != 4 {
			t.Errorf("%s: body is not the four-field document: %s", path, truncate(res.Body))
		}
	}
}
