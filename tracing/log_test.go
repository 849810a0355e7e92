package tracing

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
)

// logLine decodes the one JSON line in buf.
func logLine(t *testing.T, buf *bytes.Buffer) map[string]any {
	t.Helper()
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log output %q is not one JSON line: %v", buf.String(), err)
	}
	return line
}

func TestLogHandlerAddsTraceAndSpanIDUnderASpan(t *testing.T) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	var buf bytes.Buffer
	log := slog.New(NewLogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "test")

	ctx, span := tp.Tracer("test").Start(context.Background(), "work")
	log.InfoContext(ctx, "inside a span")
	span.End()

	line := logLine(t, &buf)
	if got, want := line["trace_id"], span.SpanContext().TraceID().String(); got != want {
		t.Errorf("trace_id = %v, want %s", got, want)
	}
	if got, want := line["span_id"], span.SpanContext().SpanID().String(); got != want {
		t.Errorf("span_id = %v, want %s", got, want)
	}
	if line["component"] != "test" {
		t.Errorf("component = %v: WithAttrs lost the wrapper's attributes", line["component"])
	}
}

// otherKey is a context value that is neither a span nor an activity.
type otherKey struct{}

func TestLogHandlerAddsNothingWithoutASpan(t *testing.T) {
	for name, ctx := range map[string]context.Context{
		"no span":         context.Background(),
		"not an activity": context.WithValue(context.Background(), otherKey{}, 1),
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			slog.New(NewLogHandler(slog.NewJSONHandler(&buf, nil))).InfoContext(ctx, "no span here")
			line := logLine(t, &buf)
			for _, key := range []string{"trace_id", "span_id", "workflow_id", "run_id", "activity_type", "attempt"} {
				if v, ok := line[key]; ok {
					t.Errorf("%s = %v on a line logged outside any span or activity", key, v)
				}
			}
		})
	}
}

// An activity's own slog calls (a.Logger.InfoContext(ctx, ...)) say which workflow run and
// attempt they belong to, as Temporal's activity.GetLogger does.
func TestLogHandlerAddsActivityInfoInsideAnActivity(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewLogHandler(slog.NewJSONHandler(&buf, nil)))
	shipParcel := func(ctx context.Context) error {
		log.InfoContext(ctx, "parcel handed over")
		return nil
	}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(shipParcel, activity.RegisterOptions{Name: "ShipParcel"})
	if _, err := env.ExecuteActivity("ShipParcel"); err != nil {
		t.Fatal(err)
	}

	line := logLine(t, &buf)
	want := map[string]any{
		"workflow_id": "default-test-workflow-id", "run_id": "default-test-run-id",
		"activity_type": "ShipParcel", "attempt": float64(1),
	}
	for key, v := range want {
		if line[key] != v {
			t.Errorf("%s = %v, want %v (line %s)", key, line[key], v, buf.String())
		}
	}
}
