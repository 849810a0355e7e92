package tracing

import (
	"fmt"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
)

// QueryTracer makes each Postgres query a client span named by its operation ("SELECT",
// "UPDATE"), with the SQL text but never its arguments, under the caller's span. Set it on
// every pool that serves requests or activities.
func QueryTracer(tp trace.TracerProvider) pgx.QueryTracer {
	return otelpgx.NewTracer(
		otelpgx.WithTracerProvider(tp),
		// Pool metrics are not this package's concern; the library's would go nowhere.
		otelpgx.WithMeterProvider(metricnoop.NewMeterProvider()),
	)
}

// InstrumentRedis makes each Redis command (and pipeline) a client span under the caller's
// span, on a single, cluster or sentinel client alike. Commands are named, their arguments are
// not recorded: values include sessions and rate-limit keys.
func InstrumentRedis(rdb redis.UniversalClient, tp trace.TracerProvider) error {
	err := redisotel.InstrumentTracing(rdb,
		redisotel.WithTracerProvider(tp),
		redisotel.WithDBStatement(false),
		// The caller's file and line on every command costs a stack walk per command.
		redisotel.WithCallerEnabled(false),
	)
	if err != nil {
		return fmt.Errorf("trace redis: %w", err)
	}
	return nil
}
