package app

import (
	"shopflow/config"
	"shopflow/notify"
	"shopflow/report"
)

// ReportConfig maps the process config onto report storage and time zone settings.
func ReportConfig(cfg config.Config) report.Config {
	return report.Config{Dir: cfg.ReportsDir, TimeZone: cfg.ReportsTimeZone, S3: report.S3Config{
		Endpoint: cfg.ReportsS3Endpoint, Bucket: cfg.ReportsS3Bucket, AccessKey: cfg.ReportsS3AccessKey,
		SecretKey: cfg.ReportsS3SecretKey, UseTLS: cfg.ReportsS3TLS, Region: cfg.ReportsS3Region, Prefix: cfg.ReportsS3Prefix,
	}}
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
