package worker

import (
	"time"

	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/activities"
	"shopflow/config"
	"shopflow/workflows"
)

// outboxInterval is how often queued notifications are delivered: the worst-case latency of an
// order notification, plus the drain ahead of it.
const outboxInterval = time.Minute

// registerNotify registers notification delivery (the outbox and admin files) through the
// configured channels: in-app always, email with SHOPFLOW_SMTP_HOST, SMS with
// SHOPFLOW_TWILIO_ACCOUNT_SID.
func registerNotify(w sdkworker.Registry, d Deps) {
	a := &activities.Notify{Store: d.Store, Service: d.Notifier}
	if d.Notifier != nil {
		a.Logger = d.Notifier.Logger
	}
	w.RegisterActivity(a)
}

// notifySchedules are the notification Schedules: the outbox drained every minute.
func notifySchedules(config.Config) []schedule {
	// A drain's activity may take 5 minutes an attempt, 3 attempts.
	// Order notifications are what a shopper waits for: the drain shares the saga's queue.
	return []schedule{{id: workflows.DeliverOutboxScheduleID, every: outboxInterval, catchup: 2 * time.Minute, queue: config.QueueCheckout,
		workflow: workflows.DeliverOutboxWorkflowName, args: []any{workflows.DeliverOutboxInput{}}, timeout: 30 * time.Minute}}
}
