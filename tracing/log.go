package tracing

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/activity"
)

// LogHandler wraps a slog.Handler so a line tells where it was written: trace_id and span_id
// when the record's context carries a span (search the tracing backend for the trace), and
// workflow_id, run_id, activity_type and attempt when it was logged inside a Temporal activity
// (find the run in the Temporal UI). Only the *Context logging calls carry a context; that is
// how activities and the API log.
type LogHandler struct {
	next slog.Handler
}

// NewLogHandler wraps next.
func NewLogHandler(next slog.Handler) *LogHandler { return &LogHandler{next: next} }

// Enabled defers to the wrapped handler.
func (h *LogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle adds the trace and activity fields found in ctx, then passes the record on.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	if ctx != nil && activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		r.AddAttrs(
			slog.String("workflow_id", info.WorkflowExecution.ID),
			slog.String("run_id", info.WorkflowExecution.RunID),
			slog.String("activity_type", info.ActivityType.Name),
			slog.Int("attempt", int(info.Attempt)),
		)
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs keeps the wrapper around the handler with attrs.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &LogHandler{next: h.next.WithAttrs(attrs)}
}

// WithGroup keeps the wrapper around the handler with the group.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	return &LogHandler{next: h.next.WithGroup(name)}
}
