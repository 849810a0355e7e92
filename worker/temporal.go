// Package worker connects to Temporal, registers every Shopflow workflow and activity on the
// task queue, and keeps the Schedules in place.
package worker

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"

	"shopflow/config"
)

// ClientOptions builds Temporal client options whose SDK metrics (workflow and activity task
// latencies, poll counts, failures) land in reg, so /metrics shows them beside the HTTP ones.
// interceptors (tracing) apply to the client's calls and to workers built on it.
func ClientOptions(cfg config.Config, logger *slog.Logger, reg prometheus.Registerer, interceptors []interceptor.ClientInterceptor) (client.Options, error) {
	// No namespace: the SDK's names already start with temporal_ (Temporal's documented names,
	// which community dashboards use), and our workflow metrics are shopflow_*.
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return client.Options{}, fmt.Errorf("temporal metrics exporter: %w", err)
	}
	meter := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithView(latencyBuckets)).Meter("temporal-sdk-go")
	opts := client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    tlog.NewStructuredLogger(logger.With("component", "temporal")),
		MetricsHandler: temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
			Meter: meter,
			// Counters as Prometheus counters (_total), so rate() works on them.
			UseMonotonicCounters: true,
			OnError:              func(err error) { logger.Warn("temporal metric not recorded", "err", err) },
		}),
		Interceptors: interceptors,
	}
	if err := secureConnection(&opts, cfg); err != nil {
		return client.Options{}, err
	}
	return opts, nil
}

// latencyBuckets give the SDK's latency histograms (seconds) sub-second resolution; OTel's
// default bounds start at 5, where every schedule-to-start of a healthy queue would fall.
var latencyBuckets = sdkmetric.NewView(sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
	sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{
		Boundaries: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}}})

// Dial connects to Temporal now, failing if it does not answer or has no such namespace. Its
// errors name the SHOPFLOW_TEMPORAL_* variable to fix when the cause is one an operator sets.
func Dial(ctx context.Context, opts client.Options) (client.Client, error) {
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to temporal at %s: %w", opts.HostPort, explainConnError(withTLSVerdict(ctx, err, opts), opts))
	}
	if err := checkNamespace(ctx, c, opts); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Lazy returns a client that connects on first use, so the API can start (and report itself
// not ready) while Temporal is still coming up.
func Lazy(opts client.Options) (client.Client, error) {
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return nil, fmt.Errorf("temporal client for %s: %w", opts.HostPort, err)
	}
	return c, nil
}

// Healthy probes the Temporal frontend, for /readyz.
func Healthy(c client.Client) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
}
