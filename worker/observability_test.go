package worker

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.yaml.in/yaml/v3"

	"shopflow/activities"
	"shopflow/config"
	"shopflow/notify"
	"shopflow/payment"
	"shopflow/store"
	"shopflow/store/storetest"
	"shopflow/workflows"
)

// The alert rules and the dashboard in deploy/observability name only series this process
// exports: a renamed metric fails here, not silently on an operator's screen. The registry is
// filled as production fills it: the Temporal SDK's metrics from a worker that ran a workflow on
// a dev server, the checkout saga's and the Schedules' through the same handler, the business
// gauges and the notification counter.
func TestObservabilityFilesNameExportedMetrics(t *testing.T) {
	exported := exportedSeries(t)
	alerts := alertExpressions(t)
	panels := dashboardExpressions(t)
	if len(alerts) == 0 || len(panels) == 0 {
		t.Fatalf("%d alert and %d panel expressions read", len(alerts), len(panels))
	}
	referenced := map[string]bool{}
	for where, exprs := range map[string][]string{"alerts.yml": alerts, "grafana-dashboard.json": panels} {
		for _, expr := range exprs {
			for _, name := range metricNames(expr) {
				referenced[strings.TrimSuffix(name, "_bucket")] = true
				if !exported[name] {
					t.Errorf("%s: %s is not exported (in %q)", where, name, expr)
				}
			}
		}
	}
	// And the other way: every Shopflow metric is on the dashboard or behind an alert.
	for name := range exported {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		if strings.Contains(name, "shopflow_") && !referenced[base] && !referenced[name] {
			t.Errorf("%s is exported but neither charted nor alerted on", name)
		}
	}
	if t.Failed() {
		names := slices.Sorted(func(yield func(string) bool) {
			for n := range exported {
				if !yield(n) {
					return
				}
			}
		})
		t.Logf("exported: %s", strings.Join(names, " "))
	}
}

// exportedSeries are the metric names (histograms as _bucket, _sum, _count) a scrape shows.
func exportedSeries(t *testing.T) map[string]bool {
	t.Helper()
	reg := prometheus.NewRegistry()
	log := slog.New(slog.DiscardHandler)
	srv := startDevServer(t)
	cfg := config.Config{TemporalAddress: srv.FrontendHostPort(), TemporalNamespace: "default", PaymentTimeout: time.Minute}
	opts, err := ClientOptions(cfg, log, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	runOnDevServer(t, opts)
	runCheckouts(t, opts.MetricsHandler)
	d := Deps{Config: cfg, Store: store.New(storetest.NewPool(t)), Logger: log}
	reg.MustRegister(NewBusinessCollector(d))
	m, err := notify.NewPrometheusMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.SendFailed(store.ChannelEmail, "order_placed", true)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, f := range families {
		name := f.GetName()
		if f.GetType().String() == "HISTOGRAM" {
			out[name+"_bucket"], out[name+"_sum"], out[name+"_count"] = true, true, true
			continue
		}
		out[name] = true
	}
	return out
}

func startDevServer(t *testing.T) *testsuite.DevServer {
	t.Helper()
	exe, err := filepath.Abs(filepath.Join("..", "bin", "temporal"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{ExistingPath: exe, LogLevel: "error", Stdout: io.Discard,
		ClientOptions: &client.Options{Namespace: "default", Logger: quietSDK()}})
	if err != nil {
		t.Fatalf("start the Temporal dev server %s (scripts/install-temporal.sh builds it): %v", exe, err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

// runOnDevServer runs a workflow with an activity on a real worker, so the SDK records its
// task latencies and slot gauges as it does in production.
func runOnDevServer(t *testing.T, opts client.Options) {
	t.Helper()
	c, err := client.Dial(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w := sdkworker.New(c, "observability", sdkworker.Options{})
	w.RegisterWorkflowWithOptions(func(ctx workflow.Context) error {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
		return workflow.ExecuteActivity(ctx, "Touch").Get(ctx, nil)
	}, workflow.RegisterOptions{Name: "Observed"})
	w.RegisterActivityWithOptions(func(context.Context) error { return nil }, activity.RegisterOptions{Name: "Touch"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "observability"}, "Observed")
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

// runCheckouts runs a placed saga, a declined one and a scheduled run in the test environment
// with h, the production handler, so their metrics land in the scraped registry.
func runCheckouts(t *testing.T, h client.MetricsHandler) {
	t.Helper()
	var a *activities.Checkout
	for _, status := range []payment.Status{payment.StatusSucceeded, payment.StatusFailed} {
		var suite testsuite.WorkflowTestSuite
		suite.SetLogger(quietSDK())
		suite.SetMetricsHandler(h)
		env := suite.NewTestWorkflowEnvironment()
		workflows.Register(env)
		env.RegisterActivity(&activities.Checkout{})
		env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(activities.ReserveResult{Reserved: true, Status: store.OrderAwaitingPayment}, nil)
		env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).Return(activities.ChargeResult{IntentID: "pi_1", Status: status}, nil)
		env.OnActivity(a.ConfirmOrder, mock.Anything, mock.Anything).Return(activities.ConfirmResult{Placed: true, Status: store.OrderPlaced}, nil)
		env.OnActivity(a.VoidPayment, mock.Anything, mock.Anything).Return(activities.VoidResult{}, nil)
		env.OnActivity(a.ReleaseOrder, mock.Anything, mock.Anything).Return(activities.ReleaseResult{Canceled: true, Status: store.OrderCanceled}, nil)
		env.ExecuteWorkflow(workflows.CheckoutWorkflowName, workflows.CheckoutInput{OrderID: "o", PaymentTimeout: time.Minute})
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
	}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietSDK())
	suite.SetMetricsHandler(h)
	env := suite.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(sdkworker.Options{Interceptors: []interceptor.WorkerInterceptor{workflows.NewScheduleLagInterceptor()}})
	scheduled := temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime").ValueSet(env.Now().Add(-time.Second))
	if err := env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(scheduled)); err != nil {
		t.Fatal(err)
	}
	env.RegisterWorkflowWithOptions(func(workflow.Context) error { return nil }, workflow.RegisterOptions{Name: "Scheduled"})
	env.ExecuteWorkflow("Scheduled")
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
}

// alertExpressions are the expr of every rule in alerts.yml, after checking each alert says
// how bad it is and what to do.
func alertExpressions(t *testing.T) []string {
	t.Helper()
	var file struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert       string
				Expr        string
				For         string
				Labels      map[string]string
				Annotations map[string]string
			}
		}
	}
	b, err := os.ReadFile(filepath.Join("..", "deploy", "observability", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &file); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	var exprs []string
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("alerts.yml group %s: rule %q lacks alert, expr, severity, summary or description", g.Name, r.Alert)
			}
			exprs = append(exprs, r.Expr)
		}
	}
	return exprs
}

// dashboardExpressions are the expr of every panel target in grafana-dashboard.json.
func dashboardExpressions(t *testing.T) []string {
	t.Helper()
	var dash struct {
		Title  string
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	b, err := os.ReadFile(filepath.Join("..", "deploy", "observability", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	var exprs []string
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			exprs = append(exprs, target.Expr)
		}
	}
	return exprs
}

// ourMetric matches the names of Shopflow's and the Temporal SDK's series in an expression.
var ourMetric = regexp.MustCompile(`\b(?:shopflow|temporal)_[a-zA-Z0-9_]+`)

func metricNames(expr string) []string {
	// Label values such as collector="stuck_sagas" are not metric names.
	expr = regexp.MustCompile(`"[^"]*"`).ReplaceAllString(expr, `""`)
	return ourMetric.FindAllString(expr, -1)
}

// quietSDK keeps the SDK's debug lines out of the test output.
func quietSDK() tlog.Logger { return tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)) }
