// Package config loads Shopflow's typed configuration from SHOPFLOW_* environment variables.
// Everything else receives a Config value; nothing below cmd/ reads the environment.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config is the whole of Shopflow's configuration. The env tags are the documented variables.
type Config struct {
	DatabaseURL string `env:"SHOPFLOW_DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/shopflow?sslmode=disable"`
	RedisURL    string `env:"SHOPFLOW_REDIS_URL" envDefault:"redis://127.0.0.1:6379/0"`
	// RedisPrefix namespaces every key, so several deployments (or test runs) can share a Redis.
	RedisPrefix string `env:"SHOPFLOW_REDIS_PREFIX" envDefault:"shopflow:"`

	TemporalAddress   string `env:"SHOPFLOW_TEMPORAL_ADDRESS" envDefault:"127.0.0.1:7233"`
	TemporalNamespace string `env:"SHOPFLOW_TEMPORAL_NAMESPACE" envDefault:"default"`
	TaskQueue         string `env:"SHOPFLOW_TASK_QUEUE" envDefault:"shopflow"`

	HTTPAddr       string `env:"SHOPFLOW_HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	PublicURL      string `env:"SHOPFLOW_PUBLIC_URL"`
	BodyLimitBytes int64  `env:"SHOPFLOW_BODY_LIMIT_BYTES" envDefault:"1048576"`
	// IdempotencyTTL is how long an Idempotency-Key and its stored response are kept.
	IdempotencyTTL  time.Duration `env:"SHOPFLOW_IDEMPOTENCY_TTL" envDefault:"24h"`
	ShutdownTimeout time.Duration `env:"SHOPFLOW_SHUTDOWN_TIMEOUT" envDefault:"15s"`
	LogLevel        string        `env:"SHOPFLOW_LOG_LEVEL" envDefault:"info"`
	LogFormat       string        `env:"SHOPFLOW_LOG_FORMAT" envDefault:"json"`

	JWTSecret  string `env:"SHOPFLOW_JWT_SECRET"`
	JWTIssuer  string `env:"SHOPFLOW_JWT_ISSUER" envDefault:"shopflow"`
	BcryptCost int    `env:"SHOPFLOW_BCRYPT_COST" envDefault:"12"`

	// AccessTokenTTL is how long an access token (the JWT sent on every request) lives; short,
	// because a stolen one works until it expires unless its session or account is revoked.
	AccessTokenTTL time.Duration `env:"SHOPFLOW_ACCESS_TOKEN_TTL" envDefault:"15m"`
	// RefreshTokenTTL is how long a refresh token may be exchanged for a new pair; each use
	// rotates it, so this bounds an idle session, not an active one's tokens.
	RefreshTokenTTL time.Duration `env:"SHOPFLOW_REFRESH_TOKEN_TTL" envDefault:"720h"`
	// AuthCacheTTL is how long an API process keeps what the database said about a token's
	// account and session. Revocation through this process applies at once; one made by another
	// process, or directly in the database, applies here within this TTL. 0 reads on every request.
	AuthCacheTTL time.Duration `env:"SHOPFLOW_AUTH_CACHE_TTL" envDefault:"1s"`

	// AdminEmail and AdminPassword create the first admin at start-up when both are set.
	AdminEmail    string `env:"SHOPFLOW_ADMIN_EMAIL"`
	AdminPassword string `env:"SHOPFLOW_ADMIN_PASSWORD"`

	LoginLimitPerAccount int           `env:"SHOPFLOW_LOGIN_LIMIT_PER_ACCOUNT" envDefault:"10"`
	LoginLimitPerIP      int           `env:"SHOPFLOW_LOGIN_LIMIT_PER_IP" envDefault:"50"`
	LoginLimitPeriod     time.Duration `env:"SHOPFLOW_LOGIN_LIMIT_PERIOD" envDefault:"1m"`

	// TrustedProxies are the CIDRs (or addresses) of the proxies in front of the API whose
	// X-Forwarded-For is believed; empty trusts none, so the client address is the peer's.
	TrustedProxies []string `env:"SHOPFLOW_TRUSTED_PROXIES" envSeparator:","`
	// RateLimitAuth, RateLimitWrites and RateLimitReads are requests per minute per account
	// (per client IP when anonymous) for each route class; 0 disables the class's limit.
	RateLimitAuth   int `env:"SHOPFLOW_RATE_LIMIT_AUTH" envDefault:"30"`
	RateLimitWrites int `env:"SHOPFLOW_RATE_LIMIT_WRITES" envDefault:"600"`
	RateLimitReads  int `env:"SHOPFLOW_RATE_LIMIT_READS" envDefault:"3000"`

	PaymentTimeout time.Duration `env:"SHOPFLOW_PAYMENT_TIMEOUT" envDefault:"5m"`
	// PaymentProvider is stripe or sandbox (built-in simulator of Stripe's test cards, no money
	// moves). There is no default: the API and the worker refuse to start without a choice, so a
	// deploy whose Stripe secret failed to mount cannot quietly take unpaid orders.
	PaymentProvider     string `env:"SHOPFLOW_PAYMENT_PROVIDER"`
	StripeSecretKey     string `env:"SHOPFLOW_STRIPE_SECRET_KEY"`
	StripeWebhookSecret string `env:"SHOPFLOW_STRIPE_WEBHOOK_SECRET"`
	// StripeAPIURL points stripe-go elsewhere than api.stripe.com, e.g. at stripe-mock.
	StripeAPIURL string `env:"SHOPFLOW_STRIPE_API_URL"`
	// DevEndpoints enables development-only routes (completing sandbox payments by hand).
	DevEndpoints bool `env:"SHOPFLOW_DEV_ENDPOINTS" envDefault:"false"`
	// ReservationSweepInterval is how often held stock whose saga is gone is released.
	ReservationSweepInterval time.Duration `env:"SHOPFLOW_RESERVATION_SWEEP_INTERVAL" envDefault:"1m"`

	// IngestDir holds submitted order files (by content hash) and their error files.
	IngestDir string `env:"SHOPFLOW_INGEST_DIR" envDefault:".dev/ingest"`
	// IngestInbox is swept every IngestInterval: files dropped there are ingested, then moved.
	IngestInbox    string        `env:"SHOPFLOW_INGEST_INBOX" envDefault:".dev/ingest/inbox"`
	IngestInterval time.Duration `env:"SHOPFLOW_INGEST_INTERVAL" envDefault:"15m"`
	// IngestChunkLines is how many lines one ingest step reads and commits with its progress.
	IngestChunkLines int `env:"SHOPFLOW_INGEST_CHUNK_LINES" envDefault:"50000"`

	// TopSellersWindow is the trailing window the hourly ranking covers.
	TopSellersWindow time.Duration `env:"SHOPFLOW_TOPSELLERS_WINDOW" envDefault:"24h"`
	// TopSellersN is how many products each category's ranking keeps.
	TopSellersN int `env:"SHOPFLOW_TOPSELLERS_N" envDefault:"100"`
	// TopSellersCacheTTL is how long an API process reuses a ranking read from Redis.
	TopSellersCacheTTL time.Duration `env:"SHOPFLOW_TOPSELLERS_CACHE_TTL" envDefault:"5s"`

	// ReportsDir is where daily reports are published when no S3 bucket is configured.
	ReportsDir string `env:"SHOPFLOW_REPORTS_DIR" envDefault:".dev/reports"`
	// ReportsTimeZone names the zone whose days the daily reports cover (an IANA name).
	ReportsTimeZone string `env:"SHOPFLOW_REPORTS_TIMEZONE" envDefault:"UTC"`
	// ReportsS3Bucket, when set, publishes reports to this S3-compatible bucket instead.
	ReportsS3Bucket    string `env:"SHOPFLOW_REPORTS_S3_BUCKET"`
	ReportsS3Endpoint  string `env:"SHOPFLOW_REPORTS_S3_ENDPOINT" envDefault:"s3.amazonaws.com"`
	ReportsS3AccessKey string `env:"SHOPFLOW_REPORTS_S3_ACCESS_KEY"`
	ReportsS3SecretKey string `env:"SHOPFLOW_REPORTS_S3_SECRET_KEY"`
	ReportsS3TLS       bool   `env:"SHOPFLOW_REPORTS_S3_TLS" envDefault:"true"`
	ReportsS3Region    string `env:"SHOPFLOW_REPORTS_S3_REGION" envDefault:"us-east-1"`
	ReportsS3Prefix    string `env:"SHOPFLOW_REPORTS_S3_PREFIX" envDefault:"reports/"`

	// SMTPHost turns email on (e.g. email-smtp.eu-west-1.amazonaws.com for Amazon SES).
	SMTPHost     string        `env:"SHOPFLOW_SMTP_HOST"`
	SMTPPort     int           `env:"SHOPFLOW_SMTP_PORT" envDefault:"587"`
	SMTPUsername string        `env:"SHOPFLOW_SMTP_USERNAME"`
	SMTPPassword string        `env:"SHOPFLOW_SMTP_PASSWORD"`
	SMTPAuth     string        `env:"SHOPFLOW_SMTP_AUTH" envDefault:"PLAIN"`
	SMTPFrom     string        `env:"SHOPFLOW_SMTP_FROM"`
	SMTPTLS      string        `env:"SHOPFLOW_SMTP_TLS" envDefault:"starttls"`
	SMTPTimeout  time.Duration `env:"SHOPFLOW_SMTP_TIMEOUT" envDefault:"15s"`
	// TwilioAccountSID turns SMS on.
	TwilioAccountSID string        `env:"SHOPFLOW_TWILIO_ACCOUNT_SID"`
	TwilioAuthToken  string        `env:"SHOPFLOW_TWILIO_AUTH_TOKEN"`
	TwilioFrom       string        `env:"SHOPFLOW_TWILIO_FROM"`
	TwilioBaseURL    string        `env:"SHOPFLOW_TWILIO_BASE_URL"`
	TwilioTimeout    time.Duration `env:"SHOPFLOW_TWILIO_TIMEOUT" envDefault:"10s"`
	// Per-channel send rates across all workers, per second; 0 is unlimited.
	NotifyEmailRate int `env:"SHOPFLOW_NOTIFY_EMAIL_RATE" envDefault:"14"`
	NotifySMSRate   int `env:"SHOPFLOW_NOTIFY_SMS_RATE" envDefault:"1"`
	NotifyInAppRate int `env:"SHOPFLOW_NOTIFY_INAPP_RATE" envDefault:"0"`

	// DigestBatchSize is how many sellers one seller-digest run handles before continuing as new.
	DigestBatchSize int `env:"SHOPFLOW_DIGEST_BATCH_SIZE" envDefault:"500"`
	// DigestConcurrency is how many digest activities run at once.
	DigestConcurrency int `env:"SHOPFLOW_DIGEST_CONCURRENCY" envDefault:"4"`
	// DigestRankChange is how many places a seller's overall rank must move, from the rank it
	// last heard of, for the hourly ranking to send it a rank-change digest; 0 turns them off.
	DigestRankChange int `env:"SHOPFLOW_DIGEST_RANK_CHANGE" envDefault:"10"`

	SearchConfig
	PricingConfig
	ReviewConfig
	RecommendConfig
	AfterSaleConfig
	TemporalConnConfig
	QueueConfig
	VersioningConfig
	MetricsConfig
	TracingConfig
	RedisConfig
	ReplicaConfig
}

// Payment providers.
const (
	ProviderSandbox = "sandbox"
	ProviderStripe  = "stripe"
)

// Provider is the payment provider chosen, "" when none is.
func (c Config) Provider() string { return c.PaymentProvider }

// MinJWTSecretLen is the shortest HS256 secret accepted; shorter keys are brute-forceable.
const MinJWTSecretLen = 32

// Load reads the configuration from environ (os.Environ() format) and validates it.
func Load(environ []string) (Config, error) {
	vars := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	var c Config
	if err := env.ParseWithOptions(&c, env.Options{Environment: vars}); err != nil {
		return Config{}, namedParseError(err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// ValidateAPI checks what only API-serving processes need: a JWT secret long enough for HS256.
// Migrations and the worker run without one.
func (c Config) ValidateAPI() error {
	if len(c.JWTSecret) < MinJWTSecretLen {
		return fmt.Errorf("SHOPFLOW_JWT_SECRET: must be set to at least %d bytes (generate one with: openssl rand -hex 32)", MinJWTSecretLen)
	}
	return nil
}

// namedParseError rewrites the library's field-named parse errors to name the variable instead,
// because the variable is what an operator can fix.
func namedParseError(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	t := reflect.TypeOf(Config{})
	var out []error
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			if f, ok := t.FieldByName(pe.Name); ok {
				name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
				out = append(out, fmt.Errorf("%s: cannot parse as %s: %v", name, pe.Type, pe.Err))
				continue
			}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// redact hides a URL's password so a validation error never prints a credential.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable>"
	}
	return u.Redacted()
}
