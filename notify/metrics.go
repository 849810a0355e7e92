package notify

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics is told of every failed send attempt, so operators see a provider refusing or
// timing out before customers complain. Service.Metrics may be nil: nothing is counted.
type Metrics interface {
	// SendFailed records one failed attempt on channel for a notification of kind; permanent
	// says retrying cannot fix it (the notification is marked failed), otherwise it stays
	// queued for another attempt.
	SendFailed(channel, kind string, permanent bool)
}

// MetricSendFailures is the Prometheus counter of failed send attempts.
const MetricSendFailures = "shopflow_notification_send_failures_total"

// PrometheusMetrics counts failed sends in a Prometheus registry, by channel, kind and
// failure (permanent or transient).
type PrometheusMetrics struct {
	failures *prometheus.CounterVec
}

// NewPrometheusMetrics registers the counter in reg; a counter registered there already (the
// API and the worker share a registry in `shopflow dev`) is reused.
func NewPrometheusMetrics(reg prometheus.Registerer) (*PrometheusMetrics, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricSendFailures,
		Help: "Failed notification send attempts, by channel, kind and failure (permanent: marked failed; transient: queued for a retry).",
	}, []string{"channel", "kind", "failure"})
	if err := reg.Register(c); err != nil {
		var already prometheus.AlreadyRegisteredError
		if !errors.As(err, &already) {
			return nil, fmt.Errorf("register %s: %w", MetricSendFailures, err)
		}
		existing, ok := already.ExistingCollector.(*prometheus.CounterVec)
		if !ok {
			return nil, fmt.Errorf("register %s: registered already as %T", MetricSendFailures, already.ExistingCollector)
		}
		c = existing
	}
	return &PrometheusMetrics{failures: c}, nil
}

// SendFailed counts one failed attempt.
func (m *PrometheusMetrics) SendFailed(channel, kind string, permanent bool) {
	failure := "transient"
	if permanent {
		failure = "permanent"
	}
	m.failures.WithLabelValues(channel, kind, failure).Inc()
}

// Failures is the counter, for tests and dashboards' checks.
func (m *PrometheusMetrics) Failures() *prometheus.CounterVec { return m.failures }

// sendFailed tells s.Metrics, if set, of a failed attempt.
func (s *Service) sendFailed(r Request, permanent bool) {
	if s.Metrics != nil {
		s.Metrics.SendFailed(r.Channel, r.Kind, permanent)
	}
}
