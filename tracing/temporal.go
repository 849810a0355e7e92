package tracing

import (
	"fmt"

	"go.opentelemetry.io/otel/trace"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// TemporalInterceptor carries the trace through Temporal: set on a client, it writes the
// caller's span into the headers of the workflows it starts ("StartWorkflow:Checkout"); the
// workers built on that client continue it in the workflow ("RunWorkflow:Checkout"), in each
// activity it schedules ("StartActivity:ConfirmOrder") and in the activity's run
// ("RunActivity:ConfirmOrder"), whose context the activity's own queries and calls inherit.
// Replayed workflow code starts no spans.
func TemporalInterceptor(tp trace.TracerProvider) (interceptor.Interceptor, error) {
	i, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer:            tp.Tracer("go.temporal.io/sdk"),
		TextMapPropagator: Propagator(),
	})
	if err != nil {
		return nil, fmt.Errorf("temporal tracing interceptor: %w", err)
	}
	return i, nil
}
