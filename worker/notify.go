package worker

import (
	"time"

	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/config"
	"shopflow/notify"
	"shopflow/workflows"
)

// outboxInterval is how often queued notifications are delivered: the worst-case latency of an
// order notification, plus the drain ahead of it.
const outboxInterval = time.Minute

// registerNotify registers notification delivery (the outbox and admin files). Until config
// carries SMTP and Twilio settings (docs/NOTIFICATIONS.md), notifyConfig is empty and the
// service has the in-app channel only: email and SMS sends are skipped with a warning.
func registerNotify(w sdkworker.Registry, d Deps) {
	svc, err := notify.NewServiceFromConfig(notifyConfig(d.Config), d.Store, d.Redis, d.Config.RedisPrefix, d.Logger)
	if err != nil {
		// Only a malformed channel setting gets here; fall back to in-app rather than no worker.
		d.Logger.Error("notification channels misconfigured; in-app only", "err", err)
		svc = notify.NewService(d.Store, nil, d.Logger, notify.InApp{})
	}
	w.RegisterWorkflowWithOptions(workflows.DeliverOutbox, workflow.RegisterOptions{Name: workflows.DeliverOutboxWorkflowName})
	w.RegisterActivity(&activities.Notify{Store: d.Store, Service: svc, Logger: svc.Logger})
}

// notifyConfig maps the process config onto the notification service's. Email is on when
// SHOPFLOW_SMTP_HOST is set, SMS when SHOPFLOW_TWILIO_ACCOUNT_SID is; in-app always.
func notifyConfig(cfg config.Config) notify.Config {
	return notify.Config{
		Email: notify.EmailConfig{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword,
			AuthMechanism: cfg.SMTPAuth, From: cfg.SMTPFrom, TLSMode: cfg.SMTPTLS, Timeout: cfg.SMTPTimeout},
		SMS: notify.SMSConfig{AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken, From: cfg.TwilioFrom,
			BaseURL: cfg.TwilioBaseURL, Timeout: cfg.TwilioTimeout},
		RatePerSecond: map[string]int{"email": cfg.NotifyEmailRate, "sms": cfg.NotifySMSRate, "inapp": cfg.NotifyInAppRate},
	}
}

// notifySchedules are the notification Schedules: the outbox drained every minute.
func notifySchedules(config.Config) []schedule {
	return []schedule{{id: workflows.DeliverOutboxScheduleID, every: outboxInterval, catchup: 2 * time.Minute,
		workflow: workflows.DeliverOutboxWorkflowName, args: []any{workflows.DeliverOutboxInput{}}}}
}
