package workflows

import (
	"time"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"

	"shopflow/store"
)

// Business metrics recorded from workflow code. They go through workflow.GetMetricsHandler,
// which drops them while a history replays (so a replayed saga is not counted twice) and
// creates no commands (so histories, and the replay tests, stay as they were). The worker's
// handler exports a counter with _total (shopflow_checkouts_total) and a timer with its unit
// (shopflow_checkout_duration_seconds).
const (
	// MetricCheckouts counts sagas that ended, by outcome (placed, canceled, failed) and
	// reason (the cancel reason; empty when placed).
	MetricCheckouts = "shopflow_checkouts"
	// MetricCheckoutDuration is the time from the saga's start to its outcome.
	MetricCheckoutDuration = "shopflow_checkout_duration"
	// MetricCompensations counts compensation steps run, by step.
	MetricCompensations = "shopflow_checkout_compensations"
	// MetricScheduleLag is how late a Schedule's run started after its scheduled time.
	MetricScheduleLag = "shopflow_schedule_lag"
)

// Checkout outcomes and compensation steps, as metric tag values.
const (
	OutcomePlaced   = "placed"
	OutcomeCanceled = "canceled"
	// OutcomeFailed is a saga that ended with an error before it settled the order.
	OutcomeFailed = "failed"

	CompensationReleaseOrder = "release_order"
	CompensationVoidPayment  = "void_payment"
)

// recordCheckoutOutcome counts how the saga ended and how long it took.
func recordCheckoutOutcome(ctx workflow.Context, res CheckoutResult, err error) {
	outcome, reason := OutcomeFailed, ""
	switch {
	case res.Status == store.OrderPlaced:
		outcome = OutcomePlaced
	case res.Status == store.OrderCanceled:
		outcome, reason = OutcomeCanceled, res.CancelReason
	case err == nil && res.Status != "":
		outcome = res.Status
	}
	h := workflow.GetMetricsHandler(ctx)
	h.WithTags(map[string]string{"outcome": outcome, "reason": reason}).Counter(MetricCheckouts).Inc(1)
	h.WithTags(map[string]string{"outcome": outcome}).Timer(MetricCheckoutDuration).
		Record(workflow.Now(ctx).Sub(workflow.GetInfo(ctx).WorkflowStartTime))
}

// recordCompensation counts one compensation step run.
func recordCompensation(ctx workflow.Context, step string) {
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"step": step}).Counter(MetricCompensations).Inc(1)
}

// NewScheduleLagInterceptor records, for every workflow a Schedule starts, how late it started
// after its TemporalScheduledStartTime: a worker pool too small for the batch queue, or a
// Temporal outage, shows here before reports and rankings come out late. An interceptor
// covers every scheduled workflow without touching each one. Register it in the worker's
// options (Interceptors).
func NewScheduleLagInterceptor() interceptor.WorkerInterceptor { return &scheduleLagInterceptor{} }

type scheduleLagInterceptor struct {
	interceptor.WorkerInterceptorBase
}

func (*scheduleLagInterceptor) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &scheduleLagInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}}
}

type scheduleLagInbound struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (i *scheduleLagInbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	recordScheduleLag(ctx)
	return i.Next.ExecuteWorkflow(ctx, in)
}

// recordScheduleLag records the first attempt of a scheduled run only: a retry starts late by
// design, and a continued run is not the Schedule's.
func recordScheduleLag(ctx workflow.Context) {
	info := workflow.GetInfo(ctx)
	if info.Attempt > 1 || info.ContinuedExecutionRunID != "" {
		return
	}
	at, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(searchScheduledStartTime)
	if !ok || at.IsZero() {
		return
	}
	workflow.GetMetricsHandler(ctx).Timer(MetricScheduleLag).Record(max(info.WorkflowStartTime.Sub(at), time.Duration(0)))
}
