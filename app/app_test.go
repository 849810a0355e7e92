package app_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/api"
	"shopflow/app"
	"shopflow/config"
	"shopflow/payment"
	"shopflow/store/storetest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

func testConfig(t *testing.T, extra ...string) config.Config {
	t.Helper()
	redisURL := os.Getenv("SHOPFLOW_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	cfg, err := config.Load(append([]string{
		"SHOPFLOW_DATABASE_URL=" + storetest.NewDatabase(t),
		"SHOPFLOW_REDIS_URL=" + redisURL,
		"SHOPFLOW_JWT_SECRET=app-test-secret-app-test-secret!!",
		"SHOPFLOW_BCRYPT_COST=4",
		"SHOPFLOW_REPORTS_DIR=" + t.TempDir(),
		"SHOPFLOW_PAYMENT_PROVIDER=sandbox",
	}, extra...))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func open(t *testing.T, cfg config.Config, opts app.Options) *app.App {
	t.Helper()
	a, err := app.Open(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// The API the App builds is the whole API: every workflow-backed dependency is wired (the
// hand-made copies this package replaced left batches, jobs and reports out), and /readyz
// probes Temporal too.
func TestAPIIsWiredWithEveryDependency(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, "SHOPFLOW_TEMPORAL_ADDRESS=127.0.0.1:1")
	a := open(t, cfg, app.Options{LazyTemporal: true})
	srv, err := a.API()
	if err != nil {
		t.Fatal(err)
	}
	d := srv.Deps
	if d.Checkouts == nil || d.Batches == nil || d.Jobs == nil || d.Reports == nil || d.ReportFiles == nil {
		t.Fatalf("API built without a dependency: %+v", d)
	}
	var checks []string
	for _, c := range d.Checks {
		checks = append(checks, c.Name)
	}
	if got := strings.Join(checks, ","); got != "postgres,redis,temporal" {
		t.Errorf("readiness checks %s, want postgres,redis,temporal", got)
	}
	if d.Sandbox != nil {
		t.Error("the dev payment endpoint is on without SHOPFLOW_DEV_ENDPOINTS")
	}
	if _, ok := a.Payments.(*payment.Sandbox); !ok {
		t.Errorf("payments %T, want the sandbox with no Stripe key", a.Payments)
	}
}

func TestDevEndpointsBackTheSandbox(t *testing.T) {
	t.Parallel()
	a := open(t, testConfig(t, "SHOPFLOW_DEV_ENDPOINTS=true"), app.Options{NoTemporal: true})
	srv, err := a.API()
	if err != nil {
		t.Fatal(err)
	}
	if srv.Deps.Sandbox == nil || srv.Deps.Sandbox != a.Payments {
		t.Fatalf("dev endpoints on, sandbox %v, payments %v", srv.Deps.Sandbox, a.Payments)
	}
	if srv.Deps.Checkouts != nil {
		t.Error("no Temporal, yet the API has checkout sagas")
	}
}

func TestAdjustChangesDependenciesBeforeTheServerIsBuilt(t *testing.T) {
	t.Parallel()
	a := open(t, testConfig(t), app.Options{NoTemporal: true})
	srv, err := a.API(func(d *api.Deps) { d.Checks = nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.Deps.Checks) != 0 {
		t.Fatalf("checks %v survived the adjustment", srv.Deps.Checks)
	}
}

// The worker's dependencies are the App's own components, one of each.
func TestWorkerSharesTheAppsComponents(t *testing.T) {
	t.Parallel()
	a := open(t, testConfig(t, "SHOPFLOW_TEMPORAL_ADDRESS=127.0.0.1:1"), app.Options{LazyTemporal: true})
	d := a.WorkerDeps()
	if d.Store != a.Store || d.Redis != a.Redis || d.Notifier != a.Notifier || d.ReportFiles != a.ReportFiles ||
		d.ReportZone != a.ReportZone || d.Client != a.Temporal {
		t.Fatalf("worker deps %+v are not the App's", d)
	}
	var _ sdkworker.Worker = a.NewWorker()
}

func TestOpenRefusesBrokenSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  func(*config.Config)
		want string
	}{
		{"redis url", func(c *config.Config) { c.RedisURL = "mysql://nope" }, "SHOPFLOW_REDIS_URL"},
		{"database", func(c *config.Config) { c.DatabaseURL = "postgres://127.0.0.1:1/none?connect_timeout=2" }, "127.0.0.1:1"},
		// A deploy whose Stripe secret failed to mount must not take orders without payment.
		{"no payment provider", func(c *config.Config) { c.PaymentProvider, c.StripeSecretKey = "", "" }, "SHOPFLOW_PAYMENT_PROVIDER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t)
			tc.cfg(&cfg)
			a, err := app.Open(context.Background(), cfg, app.Options{NoTemporal: true})
			if err == nil {
				a.Close()
				t.Fatal("opened with a broken setting")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %s", err, tc.want)
			}
		})
	}
}
