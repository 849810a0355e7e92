package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Validate checks every field and reports all problems at once, each naming its variable. Each
// area of the configuration has its own validator; they all run, whatever the others found.
func (c Config) Validate() error {
	var p problems
	for _, validate := range []func(*problems){
		c.validateConnections,
		c.validateTemporal,
		c.validateHTTP,
		c.validateAuth,
		c.validateEdge,
		c.validatePayments,
		c.validateIngest,
		c.validateTopSellers,
		c.validateReports,
		c.validateEmail,
		c.validateSMS,
		c.validateNotifyRates,
		c.validateDigests,
		c.validateSearch,
		c.validatePricing,
		c.validateReviews,
		c.validateRecommend,
		c.validateAfterSale,
		c.validateTemporalConn,
		c.validateQueues,
		c.validateVersioning,
		c.validateMetrics,
		c.validateTracing,
		c.validateRedis,
		c.validateReplicas,
	} {
		validate(&p)
	}
	return errors.Join(p...)
}

// problems collects what Validate finds, so an operator sees every mistake in one run.
type problems []error

// add records a problem with the variable name first, because that is what an operator fixes.
func (p *problems) add(name, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

// validateConnections checks the Postgres and Redis URLs, never echoing their passwords.
func (c Config) validateConnections(p *problems) {
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		p.add("SHOPFLOW_DATABASE_URL", "must be a postgres:// URL, got %q", redact(c.DatabaseURL))
	}
	if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		p.add("SHOPFLOW_REDIS_URL", "must be a redis:// or rediss:// URL, got %q", redact(c.RedisURL))
	}
}

// validateTemporal checks where the Temporal server is and which queue the workers poll.
func (c Config) validateTemporal(p *problems) {
	if c.TemporalAddress == "" || !strings.Contains(c.TemporalAddress, ":") {
		p.add("SHOPFLOW_TEMPORAL_ADDRESS", "must be host:port, got %q", c.TemporalAddress)
	}
	if c.TemporalNamespace == "" {
		p.add("SHOPFLOW_TEMPORAL_NAMESPACE", "must not be empty")
	}
	if c.TaskQueue == "" {
		p.add("SHOPFLOW_TASK_QUEUE", "must not be empty")
	}
}

// validateHTTP checks the API server's address, limits and logging.
func (c Config) validateHTTP(p *problems) {
	if c.HTTPAddr == "" || !strings.Contains(c.HTTPAddr, ":") {
		p.add("SHOPFLOW_HTTP_ADDR", "must be host:port, got %q", c.HTTPAddr)
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || u.Host == "" {
			p.add("SHOPFLOW_PUBLIC_URL", "must be an absolute URL, got %q", c.PublicURL)
		}
	}
	if c.BodyLimitBytes < 1024 {
		p.add("SHOPFLOW_BODY_LIMIT_BYTES", "must be at least 1024, got %d", c.BodyLimitBytes)
	}
	if c.IdempotencyTTL < time.Hour {
		// Clients retry for minutes to hours; a key must outlive every retry of its request.
		p.add("SHOPFLOW_IDEMPOTENCY_TTL", "must be at least 1h, got %s", c.IdempotencyTTL)
	}
	if c.ShutdownTimeout <= 0 {
		p.add("SHOPFLOW_SHUTDOWN_TIMEOUT", "must be positive, got %s", c.ShutdownTimeout)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		p.add("SHOPFLOW_LOG_LEVEL", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		p.add("SHOPFLOW_LOG_FORMAT", "must be json or text, got %q", c.LogFormat)
	}
}

// validateAuth checks tokens, password hashing, the first admin and login rate limits. The JWT
// secret is checked here only when set: processes that serve no API run without one.
func (c Config) validateAuth(p *problems) {
	if c.JWTSecret != "" {
		if err := c.ValidateAPI(); err != nil {
			*p = append(*p, err)
		}
	}
	if c.JWTIssuer == "" {
		p.add("SHOPFLOW_JWT_ISSUER", "must not be empty")
	}
	if c.AccessTokenTTL < time.Minute || c.AccessTokenTTL > 24*time.Hour {
		p.add("SHOPFLOW_ACCESS_TOKEN_TTL", "must be between 1m and 24h, got %s", c.AccessTokenTTL)
	}
	if c.RefreshTokenTTL < c.AccessTokenTTL || c.RefreshTokenTTL > 365*24*time.Hour {
		p.add("SHOPFLOW_REFRESH_TOKEN_TTL", "must be between SHOPFLOW_ACCESS_TOKEN_TTL (%s) and 8760h, got %s", c.AccessTokenTTL, c.RefreshTokenTTL)
	}
	// Longer would leave a revoked token working on other API processes for too long.
	if c.AuthCacheTTL < 0 || c.AuthCacheTTL > 10*time.Second {
		p.add("SHOPFLOW_AUTH_CACHE_TTL", "must be between 0 (no cache) and 10s, got %s", c.AuthCacheTTL)
	}
	if c.BcryptCost < 4 || c.BcryptCost > 16 {
		p.add("SHOPFLOW_BCRYPT_COST", "must be between 4 and 16, got %d", c.BcryptCost)
	}
	c.validateAdmin(p)
	if c.LoginLimitPerAccount < 1 {
		p.add("SHOPFLOW_LOGIN_LIMIT_PER_ACCOUNT", "must be at least 1, got %d", c.LoginLimitPerAccount)
	}
	if c.LoginLimitPerIP < 1 {
		p.add("SHOPFLOW_LOGIN_LIMIT_PER_IP", "must be at least 1, got %d", c.LoginLimitPerIP)
	}
	if c.LoginLimitPeriod < time.Second {
		p.add("SHOPFLOW_LOGIN_LIMIT_PERIOD", "must be at least 1s, got %s", c.LoginLimitPeriod)
	}
}

// validateAdmin checks the first admin's account, which is created only when both are set.
func (c Config) validateAdmin(p *problems) {
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		p.add("SHOPFLOW_ADMIN_EMAIL", "and SHOPFLOW_ADMIN_PASSWORD must be set together")
	}
	if c.AdminEmail != "" {
		if _, err := mail.ParseAddress(c.AdminEmail); err != nil {
			p.add("SHOPFLOW_ADMIN_EMAIL", "is not an email address: %q", c.AdminEmail)
		}
	}
	if c.AdminPassword != "" && len(c.AdminPassword) < 12 {
		p.add("SHOPFLOW_ADMIN_PASSWORD", "must be at least 12 characters")
	}
}

// validatePayments checks the payment provider and what it needs, and the checkout timings.
func (c Config) validatePayments(p *problems) {
	if c.PaymentTimeout < time.Second {
		p.add("SHOPFLOW_PAYMENT_TIMEOUT", "must be at least 1s, got %s", c.PaymentTimeout)
	}
	switch c.Provider() {
	case "":
		// Commands that take no payments run without a choice; app.Open refuses to.
		if c.StripeSecretKey != "" {
			p.add("SHOPFLOW_PAYMENT_PROVIDER", "must be set (stripe or sandbox): a Stripe key alone no longer chooses the provider")
		}
	case ProviderSandbox:
	case ProviderStripe:
		if c.StripeSecretKey == "" {
			p.add("SHOPFLOW_STRIPE_SECRET_KEY", "must be set when SHOPFLOW_PAYMENT_PROVIDER is stripe")
		}
		if c.StripeWebhookSecret == "" {
			p.add("SHOPFLOW_STRIPE_WEBHOOK_SECRET", "must be set when SHOPFLOW_PAYMENT_PROVIDER is stripe (payments needing 3-D Secure finish by webhook)")
		}
	default:
		p.add("SHOPFLOW_PAYMENT_PROVIDER", "must be sandbox or stripe, got %q", c.PaymentProvider)
	}
	if c.StripeAPIURL != "" {
		if u, err := url.Parse(c.StripeAPIURL); err != nil || u.Host == "" {
			p.add("SHOPFLOW_STRIPE_API_URL", "must be an absolute URL, got %q", c.StripeAPIURL)
		}
	}
	if c.ReservationSweepInterval < time.Second {
		p.add("SHOPFLOW_RESERVATION_SWEEP_INTERVAL", "must be at least 1s, got %s", c.ReservationSweepInterval)
	}
}

// validateIngest checks where order files are kept and how they are read.
func (c Config) validateIngest(p *problems) {
	if c.IngestDir == "" {
		p.add("SHOPFLOW_INGEST_DIR", "must not be empty")
	}
	if c.IngestInbox == "" {
		p.add("SHOPFLOW_INGEST_INBOX", "must not be empty")
	}
	if c.IngestInterval < time.Minute {
		p.add("SHOPFLOW_INGEST_INTERVAL", "must be at least 1m, got %s", c.IngestInterval)
	}
	if c.IngestChunkLines < 100 || c.IngestChunkLines > 1_000_000 {
		p.add("SHOPFLOW_INGEST_CHUNK_LINES", "must be between 100 and 1000000, got %d", c.IngestChunkLines)
	}
}

// validateTopSellers checks the hourly ranking's window, size and cache.
func (c Config) validateTopSellers(p *problems) {
	if c.TopSellersWindow < time.Hour || c.TopSellersWindow%time.Hour != 0 {
		p.add("SHOPFLOW_TOPSELLERS_WINDOW", "must be a whole number of hours, at least 1h, got %s", c.TopSellersWindow)
	}
	if c.TopSellersN < 1 || c.TopSellersN > 1000 {
		p.add("SHOPFLOW_TOPSELLERS_N", "must be between 1 and 1000, got %d", c.TopSellersN)
	}
	if c.TopSellersCacheTTL < 0 || c.TopSellersCacheTTL > time.Minute {
		p.add("SHOPFLOW_TOPSELLERS_CACHE_TTL", "must be between 0s and 1m, got %s", c.TopSellersCacheTTL)
	}
}

// validateReports checks the daily reports' time zone and where they are published.
func (c Config) validateReports(p *problems) {
	if _, err := time.LoadLocation(c.ReportsTimeZone); err != nil {
		p.add("SHOPFLOW_REPORTS_TIMEZONE", "must be an IANA time zone such as UTC or Europe/Berlin, got %q", c.ReportsTimeZone)
	}
	if c.ReportsS3Bucket != "" && (c.ReportsS3AccessKey == "" || c.ReportsS3SecretKey == "") {
		p.add("SHOPFLOW_REPORTS_S3_ACCESS_KEY", "and SHOPFLOW_REPORTS_S3_SECRET_KEY must be set with SHOPFLOW_REPORTS_S3_BUCKET")
	}
	if c.ReportsS3Bucket == "" && c.ReportsDir == "" {
		p.add("SHOPFLOW_REPORTS_DIR", "must not be empty when no S3 bucket is configured")
	}
}

// validateEmail checks the SMTP settings; email is on when SMTPHost is set.
func (c Config) validateEmail(p *problems) {
	if c.SMTPHost != "" && c.SMTPFrom == "" {
		p.add("SHOPFLOW_SMTP_FROM", "must be set when SHOPFLOW_SMTP_HOST is")
	}
	if c.SMTPHost != "" {
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			p.add("SHOPFLOW_SMTP_FROM", "is not an email address: %q", c.SMTPFrom)
		}
	}
	switch c.SMTPTLS {
	case "starttls", "tls", "none":
	default:
		p.add("SHOPFLOW_SMTP_TLS", "must be starttls, tls or none, got %q", c.SMTPTLS)
	}
	if c.SMTPPort < 1 || c.SMTPPort > 65535 {
		p.add("SHOPFLOW_SMTP_PORT", "must be a TCP port, got %d", c.SMTPPort)
	}
}

// validateSMS checks the Twilio settings; SMS is on when the account SID is set.
func (c Config) validateSMS(p *problems) {
	if c.TwilioAccountSID != "" && (c.TwilioAuthToken == "" || c.TwilioFrom == "") {
		p.add("SHOPFLOW_TWILIO_AUTH_TOKEN", "and SHOPFLOW_TWILIO_FROM must be set with SHOPFLOW_TWILIO_ACCOUNT_SID")
	}
}

// validateNotifyRates checks the per-channel send rates.
func (c Config) validateNotifyRates(p *problems) {
	for _, r := range []struct {
		name string
		rate int
	}{
		{"SHOPFLOW_NOTIFY_EMAIL_RATE", c.NotifyEmailRate},
		{"SHOPFLOW_NOTIFY_SMS_RATE", c.NotifySMSRate},
		{"SHOPFLOW_NOTIFY_INAPP_RATE", c.NotifyInAppRate},
	} {
		if r.rate < 0 {
			p.add(r.name, "must be 0 (unlimited) or more, got %d", r.rate)
		}
	}
}

// validateDigests checks the seller digests' batching, concurrency and rank-change threshold.
func (c Config) validateDigests(p *problems) {
	if c.DigestBatchSize < 1 || c.DigestBatchSize > 10_000 {
		p.add("SHOPFLOW_DIGEST_BATCH_SIZE", "must be between 1 and 10000, got %d", c.DigestBatchSize)
	}
	if c.DigestConcurrency < 1 || c.DigestConcurrency > 64 {
		p.add("SHOPFLOW_DIGEST_CONCURRENCY", "must be between 1 and 64, got %d", c.DigestConcurrency)
	}
	if c.DigestRankChange < 0 {
		p.add("SHOPFLOW_DIGEST_RANK_CHANGE", "must be 0 (off) or a number of places, got %d", c.DigestRankChange)
	}
}
