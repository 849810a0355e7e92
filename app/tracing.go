package app

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"

	"shopflow/tracing"
	"shopflow/worker"
)

// tracingState is the App's tracing: provider is nil when tracing is off, and then nothing is
// instrumented at all.
type tracingState struct {
	provider    trace.TracerProvider
	interceptor interceptor.Interceptor
	// shutdown flushes and stops the exporter Setup built; nil for a provider from Options,
	// which its owner shuts down.
	shutdown func(context.Context) error
}

// startTracing sets up OpenTelemetry tracing: the provider from Options (tests record spans in
// memory) or else the OTLP exporter of SHOPFLOW_OTLP_ENDPOINT; with neither it does nothing.
func (a *App) startTracing(ctx context.Context, opts Options) error {
	tp, shutdown := opts.TracerProvider, func(context.Context) error { return nil }
	if tp == nil {
		var err error
		if tp, shutdown, err = tracing.Setup(ctx, a.Config.TracingConfig); err != nil {
			return err
		}
	}
	if !tracing.Enabled(tp) {
		return nil
	}
	ti, err := tracing.TemporalInterceptor(tp)
	if err != nil {
		_ = shutdown(ctx)
		return err
	}
	a.tracing = tracingState{provider: tp, interceptor: ti, shutdown: shutdown}
	if a.Config.TracingOn() && opts.TracerProvider == nil {
		tracing.LogExportErrors(a.Log)
		a.Log.Info("tracing: exporting spans over OTLP", "endpoint", a.Config.OTLPEndpoint,
			"service", a.Config.ServiceName, "sample_ratio", a.Config.TraceSampleRatio)
	}
	return nil
}

// TracerProvider is the provider the App's components trace with; nil when tracing is off.
func (a *App) TracerProvider() trace.TracerProvider { return a.tracing.provider }

// queryTracer traces Postgres queries; nil when tracing is off.
func (a *App) queryTracer() pgx.QueryTracer {
	if a.tracing.provider == nil {
		return nil
	}
	return tracing.QueryTracer(a.tracing.provider)
}

// instrumentRedis traces Redis commands when tracing is on.
func (a *App) instrumentRedis() error {
	if a.tracing.provider == nil || a.Redis == nil {
		return nil
	}
	return tracing.InstrumentRedis(a.Redis, a.tracing.provider)
}

// temporalInterceptors carry the trace from a request into workflows and their activities; on
// the client, they apply to the workers built on it too.
func (a *App) temporalInterceptors() []interceptor.ClientInterceptor {
	if a.tracing.interceptor == nil {
		return nil
	}
	return []interceptor.ClientInterceptor{a.tracing.interceptor}
}

// traceTemporal puts the tracing interceptors on a client passed in Options (the end-to-end
// tests share one dev server's): a client of its own on the same connection, which the App
// closes while the connection stays the caller's.
func (a *App) traceTemporal(ctx context.Context) error {
	if a.Temporal == nil || a.tracing.interceptor == nil {
		return nil
	}
	topts, err := worker.ClientOptions(a.Config, a.Log, a.Registry, a.temporalInterceptors())
	if err != nil {
		return err
	}
	c, err := client.NewClientFromExistingWithContext(ctx, a.Temporal, topts)
	if err != nil {
		return fmt.Errorf("traced temporal client: %w", err)
	}
	a.Temporal, a.ownTemporal = c, true
	return nil
}

// stopTracing flushes and stops the exporter.
func (a *App) stopTracing() {
	if a.tracing.shutdown == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.tracing.shutdown(ctx); err != nil {
		a.Log.Warn("tracing: spans not flushed at shutdown", "err", err)
	}
	a.tracing.shutdown = nil
}
