package workflows

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/payment"
	"shopflow/store"
)

// The checkout saga counts each outcome once, with its reason, records how long it took, and
// counts the compensation steps it ran.
func TestCheckoutMetrics(t *testing.T) {
	for _, tc := range []struct {
		name          string
		arrange       func(env *testsuite.TestWorkflowEnvironment)
		outcome       string
		compensations map[string]int64
		minDuration   time.Duration
	}{
		{"placed", func(env *testsuite.TestWorkflowEnvironment) {
			env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
			env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).Return(charged(payment.StatusSucceeded), nil).Once()
			env.OnActivity(a.ConfirmOrder, mock.Anything, mock.Anything).Return(activities.ConfirmResult{Placed: true, Status: store.OrderPlaced}, nil).Once()
		}, "outcome=placed,reason=", map[string]int64{}, 0},
		{"out of stock", func(env *testsuite.TestWorkflowEnvironment) {
			env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(activities.ReserveResult{Status: store.OrderPending, Reason: store.ReasonOutOfStock}, nil).Once()
			releaseWith(env, store.ReasonOutOfStock)
		}, "outcome=canceled,reason=out_of_stock", map[string]int64{"step=release_order": 1}, 0},
		{"declined", func(env *testsuite.TestWorkflowEnvironment) {
			env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
			env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).Return(charged(payment.StatusFailed), nil).Once()
			voids(env, false)
			releaseWith(env, store.ReasonPaymentDeclined)
		}, "outcome=canceled,reason=payment_declined", map[string]int64{"step=release_order": 1, "step=void_payment": 1}, 0},
		{"payment timeout", func(env *testsuite.TestWorkflowEnvironment) {
			awaitingAction(env)
			env.OnActivity(a.PaymentStatus, mock.Anything, mock.Anything).Return(charged(payment.StatusRequiresAction), nil).Once()
			voids(env, false)
			releaseWith(env, store.ReasonPaymentTimeout)
		}, "outcome=canceled,reason=payment_timeout", map[string]int64{"step=release_order": 1, "step=void_payment": 1}, testTimeout},
		{"failed", func(env *testsuite.TestWorkflowEnvironment) {
			env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
			env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).Return(charged(payment.StatusFailed), nil).Once()
			env.OnActivity(a.ReleaseOrder, mock.Anything, mock.Anything).
				Return(activities.ReleaseResult{}, temporal.NewNonRetryableApplicationError("gone", activities.ErrTypeOrderNotFound, nil))
		}, "outcome=failed,reason=", map[string]int64{"step=release_order": 1}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &capturedMetrics{}
			env := newMetricsEnv(t, m)
			env.RegisterWorkflowWithOptions(Checkout, workflowRegisterOptions())
			env.RegisterActivity(&activities.Checkout{})
			tc.arrange(env)
			env.ExecuteWorkflow(Checkout, input())
			if !env.IsWorkflowCompleted() {
				t.Fatal("saga did not complete")
			}
			if got := m.counters(MetricCheckouts); len(got) != 1 || got[tc.outcome] != 1 {
				t.Errorf("%s = %v, want {%s: 1}", MetricCheckouts, got, tc.outcome)
			}
			if got := m.counters(MetricCompensations); !maps.Equal(got, tc.compensations) {
				t.Errorf("%s = %v, want %v", MetricCompensations, got, tc.compensations)
			}
			outcome := strings.Split(tc.outcome, ",")[0]
			d := m.timers(MetricCheckoutDuration)[outcome]
			if len(d) != 1 || d[0] < tc.minDuration || d[0] > tc.minDuration+time.Minute {
				t.Errorf("%s{%s} = %v, want one near %s", MetricCheckoutDuration, outcome, d, tc.minDuration)
			}
		})
	}
}

// A run a Schedule started records how late it started; a run started by hand, or one
// continued as new from a scheduled run, records nothing.
func TestScheduleLagInterceptor(t *testing.T) {
	due := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		scheduled bool
		continued bool
		want      []time.Duration
	}{
		{"scheduled run", true, false, []time.Duration{90 * time.Second}},
		{"run by hand", false, false, nil},
		{"continued run", true, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &capturedMetrics{}
			env := newMetricsEnv(t, m)
			env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{NewScheduleLagInterceptor()}})
			env.SetStartTime(due.Add(90 * time.Second))
			if tc.scheduled {
				if err := env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(searchScheduledStartTime.ValueSet(due))); err != nil {
					t.Fatal(err)
				}
			}
			if tc.continued {
				env.SetContinuedExecutionRunID("previous-run")
			}
			env.RegisterWorkflowWithOptions(func(workflow.Context) error { return nil }, workflow.RegisterOptions{Name: "Scheduled"})
			env.ExecuteWorkflow("Scheduled")
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			if got := m.timers(MetricScheduleLag)[""]; !slices.Equal(got, tc.want) {
				t.Errorf("%s = %v, want %v", MetricScheduleLag, got, tc.want)
			}
		})
	}
}

// newMetricsEnv is a test environment whose workflow metrics land in m.
func newMetricsEnv(t *testing.T, m *capturedMetrics) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(replayLogger())
	suite.SetMetricsHandler(m.handler(nil))
	env := suite.NewTestWorkflowEnvironment()
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

// capturedMetrics keeps what a metrics handler was given, keyed by name and by the tags the
// test cares about (the SDK adds its own: namespace, task queue, workflow type).
type capturedMetrics struct {
	mu     sync.Mutex
	counts map[string]map[string]int64
	times  map[string]map[string][]time.Duration
}

// ourTags are the tags Shopflow's metrics set; the SDK's own are left out of the keys.
var ourTags = []string{"outcome", "reason", "step"}

func (m *capturedMetrics) handler(tags map[string]string) client.MetricsHandler {
	return capturingHandler{m: m, tags: tags}
}

func (m *capturedMetrics) counters(name string) map[string]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.counts[name])
}

func (m *capturedMetrics) timers(name string) map[string][]time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.times[name])
}

type capturingHandler struct {
	m    *capturedMetrics
	tags map[string]string
}

func (h capturingHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := maps.Clone(h.tags)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, tags)
	return capturingHandler{m: h.m, tags: merged}
}

func (h capturingHandler) key() string {
	var parts []string
	for _, k := range ourTags {
		if v, ok := h.tags[k]; ok {
			parts = append(parts, fmt.Sprintf("%s=%s", k, v))
		}
	}
	return strings.Join(parts, ",")
}

func (h capturingHandler) Counter(name string) client.MetricsCounter { return counterFunc{h, name} }
func (h capturingHandler) Gauge(string) client.MetricsGauge          { return gaugeFunc{} }
func (h capturingHandler) Timer(name string) client.MetricsTimer     { return timerFunc{h, name} }

type counterFunc struct {
	h    capturingHandler
	name string
}

func (c counterFunc) Inc(n int64) {
	c.h.m.mu.Lock()
	defer c.h.m.mu.Unlock()
	if c.h.m.counts == nil {
		c.h.m.counts = map[string]map[string]int64{}
	}
	if c.h.m.counts[c.name] == nil {
		c.h.m.counts[c.name] = map[string]int64{}
	}
	c.h.m.counts[c.name][c.h.key()] += n
}

type gaugeFunc struct{}

func (gaugeFunc) Update(float64) {}

type timerFunc struct {
	h    capturingHandler
	name string
}

func (r timerFunc) Record(d time.Duration) {
	r.h.m.mu.Lock()
	defer r.h.m.mu.Unlock()
	if r.h.m.times == nil {
		r.h.m.times = map[string]map[string][]time.Duration{}
	}
	if r.h.m.times[r.name] == nil {
		r.h.m.times[r.name] = map[string][]time.Duration{}
	}
	r.h.m.times[r.name][r.h.key()] = append(r.h.m.times[r.name][r.h.key()], d)
}
