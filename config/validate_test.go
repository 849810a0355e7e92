package config

import (
	"strings"
	"testing"
	"time"
)

// validConfig is the default configuration with an API secret: it passes Validate.
func validConfig(t *testing.T) Config {
	t.Helper()
	c, err := Load([]string{"SHOPFLOW_JWT_SECRET=" + secret})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

// TestEachValidatorNamesItsVariable breaks one setting per case, at least one in every area's
// validator, and wants exactly one problem, naming that setting's variable.
func TestEachValidatorNamesItsVariable(t *testing.T) {
	cases := []struct {
		name  string
		spoil func(*Config)
		want  string
	}{
		{"temporal address without port", func(c *Config) { c.TemporalAddress = "temporal" }, "SHOPFLOW_TEMPORAL_ADDRESS"},
		{"empty temporal namespace", func(c *Config) { c.TemporalNamespace = "" }, "SHOPFLOW_TEMPORAL_NAMESPACE"},
		{"empty task queue", func(c *Config) { c.TaskQueue = "" }, "SHOPFLOW_TASK_QUEUE"},
		{"http address without port", func(c *Config) { c.HTTPAddr = "8080" }, "SHOPFLOW_HTTP_ADDR"},
		{"relative public url", func(c *Config) { c.PublicURL = "/shop" }, "SHOPFLOW_PUBLIC_URL"},
		{"tiny body limit", func(c *Config) { c.BodyLimitBytes = 10 }, "SHOPFLOW_BODY_LIMIT_BYTES"},
		{"zero shutdown timeout", func(c *Config) { c.ShutdownTimeout = 0 }, "SHOPFLOW_SHUTDOWN_TIMEOUT"},
		{"unknown log format", func(c *Config) { c.LogFormat = "xml" }, "SHOPFLOW_LOG_FORMAT"},
		{"empty jwt issuer", func(c *Config) { c.JWTIssuer = "" }, "SHOPFLOW_JWT_ISSUER"},
		{"access token ttl over a day", func(c *Config) { c.AccessTokenTTL = 25 * time.Hour }, "SHOPFLOW_ACCESS_TOKEN_TTL"},
		{"refresh token shorter than access token", func(c *Config) { c.RefreshTokenTTL = time.Minute }, "SHOPFLOW_REFRESH_TOKEN_TTL"},
		{"bcrypt cost too low", func(c *Config) { c.BcryptCost = 3 }, "SHOPFLOW_BCRYPT_COST"},
		{"admin email not an address", func(c *Config) { c.AdminEmail, c.AdminPassword = "admin", "long enough secret" }, "SHOPFLOW_ADMIN_EMAIL"},
		{"no logins per account", func(c *Config) { c.LoginLimitPerAccount = 0 }, "SHOPFLOW_LOGIN_LIMIT_PER_ACCOUNT"},
		{"no logins per ip", func(c *Config) { c.LoginLimitPerIP = 0 }, "SHOPFLOW_LOGIN_LIMIT_PER_IP"},
		{"login period under a second", func(c *Config) { c.LoginLimitPeriod = time.Millisecond }, "SHOPFLOW_LOGIN_LIMIT_PERIOD"},
		{"trusted proxy not a cidr", func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8", "proxy.internal"} }, "SHOPFLOW_TRUSTED_PROXIES"},
		{"negative auth rate limit", func(c *Config) { c.RateLimitAuth = -1 }, "SHOPFLOW_RATE_LIMIT_AUTH"},
		{"auth cache over ten seconds", func(c *Config) { c.AuthCacheTTL = time.Minute }, "SHOPFLOW_AUTH_CACHE_TTL"},
		{"negative writes rate limit", func(c *Config) { c.RateLimitWrites = -1 }, "SHOPFLOW_RATE_LIMIT_WRITES"},
		{"negative reads rate limit", func(c *Config) { c.RateLimitReads = -5 }, "SHOPFLOW_RATE_LIMIT_READS"},
		{"stripe without secret key", func(c *Config) { c.PaymentProvider, c.StripeWebhookSecret = ProviderStripe, "whsec_x" }, "SHOPFLOW_STRIPE_SECRET_KEY"},
		{"relative stripe api url", func(c *Config) { c.StripeAPIURL = "stripe-mock" }, "SHOPFLOW_STRIPE_API_URL"},
		{"reservation sweep under a second", func(c *Config) { c.ReservationSweepInterval = 0 }, "SHOPFLOW_RESERVATION_SWEEP_INTERVAL"},
		{"empty ingest dir", func(c *Config) { c.IngestDir = "" }, "SHOPFLOW_INGEST_DIR"},
		{"empty ingest inbox", func(c *Config) { c.IngestInbox = "" }, "SHOPFLOW_INGEST_INBOX"},
		{"ingest interval under a minute", func(c *Config) { c.IngestInterval = time.Second }, "SHOPFLOW_INGEST_INTERVAL"},
		{"ingest chunks too small", func(c *Config) { c.IngestChunkLines = 10 }, "SHOPFLOW_INGEST_CHUNK_LINES"},
		{"ranking window not whole hours", func(c *Config) { c.TopSellersWindow = 90 * time.Minute }, "SHOPFLOW_TOPSELLERS_WINDOW"},
		{"empty rankings", func(c *Config) { c.TopSellersN = 0 }, "SHOPFLOW_TOPSELLERS_N"},
		{"ranking cache over a minute", func(c *Config) { c.TopSellersCacheTTL = 2 * time.Minute }, "SHOPFLOW_TOPSELLERS_CACHE_TTL"},
		{"unknown report time zone", func(c *Config) { c.ReportsTimeZone = "Mars/Olympus" }, "SHOPFLOW_REPORTS_TIMEZONE"},
		{"s3 bucket without keys", func(c *Config) { c.ReportsS3Bucket = "reports" }, "SHOPFLOW_REPORTS_S3_ACCESS_KEY"},
		{"no report destination", func(c *Config) { c.ReportsDir = "" }, "SHOPFLOW_REPORTS_DIR"},
		{"smtp from not an address", func(c *Config) { c.SMTPHost, c.SMTPFrom = "smtp.example.com", "shop" }, "SHOPFLOW_SMTP_FROM"},
		{"unknown smtp tls", func(c *Config) { c.SMTPTLS = "ssl" }, "SHOPFLOW_SMTP_TLS"},
		{"smtp port out of range", func(c *Config) { c.SMTPPort = 70000 }, "SHOPFLOW_SMTP_PORT"},
		{"twilio without token", func(c *Config) { c.TwilioAccountSID, c.TwilioFrom = "AC123", "+15550100" }, "SHOPFLOW_TWILIO_AUTH_TOKEN"},
		{"negative sms rate", func(c *Config) { c.NotifySMSRate = -1 }, "SHOPFLOW_NOTIFY_SMS_RATE"},
		{"empty digest batches", func(c *Config) { c.DigestBatchSize = 0 }, "SHOPFLOW_DIGEST_BATCH_SIZE"},
		{"too many digest workers", func(c *Config) { c.DigestConcurrency = 65 }, "SHOPFLOW_DIGEST_CONCURRENCY"},
		{"negative rank change", func(c *Config) { c.DigestRankChange = -1 }, "SHOPFLOW_DIGEST_RANK_CHANGE"},
		{"unknown search backend", func(c *Config) { c.SearchBackend = "solr" }, "SHOPFLOW_SEARCH_BACKEND"},
		{"elasticsearch without nodes", func(c *Config) { c.SearchBackend = SearchElasticsearch }, "SHOPFLOW_ELASTICSEARCH_URLS"},
		{"elasticsearch node not a url", func(c *Config) { c.ElasticsearchURLs = []string{"es1:9200"} }, "SHOPFLOW_ELASTICSEARCH_URLS"},
		{"zero shards", func(c *Config) { c.ElasticsearchShards = 0 }, "SHOPFLOW_ELASTICSEARCH_SHARDS"},
		{"negative replicas", func(c *Config) { c.ElasticsearchReplicas = -1 }, "SHOPFLOW_ELASTICSEARCH_REPLICAS"},
		{"zero elasticsearch timeout", func(c *Config) { c.ElasticsearchTimeout = 0 }, "SHOPFLOW_ELASTICSEARCH_TIMEOUT"},
		{"search cache over five minutes", func(c *Config) { c.SearchCacheTTL = time.Hour }, "SHOPFLOW_SEARCH_CACHE_TTL"},
		{"index prefix with capitals", func(c *Config) { c.ElasticsearchIndexPrefix = "Shop-" }, "SHOPFLOW_ELASTICSEARCH_INDEX_PREFIX"},
		{"recommendation window not whole days", func(c *Config) { c.RecsWindow = 36 * time.Hour }, "SHOPFLOW_RECS_WINDOW"},
		{"minimum support of one order", func(c *Config) { c.RecsMinSupport = 1 }, "SHOPFLOW_RECS_MIN_SUPPORT"},
		{"empty recommendation lists", func(c *Config) { c.RecsN = 0 }, "SHOPFLOW_RECS_N"},
		{"recommendations every second", func(c *Config) { c.RecsInterval = time.Second }, "SHOPFLOW_RECS_INTERVAL"},
		{"recommendation cache for an hour", func(c *Config) { c.RecsCacheTTL = time.Hour }, "SHOPFLOW_RECS_CACHE_TTL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig(t)
			tc.spoil(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("want an error naming %s, got none", tc.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], tc.want+": ") {
				t.Fatalf("want one problem naming %s, got %q", tc.want, lines)
			}
		})
	}
}

// TestValidateReportsEveryProblemAtOnce breaks settings of several areas together: the operator
// sees them all in one run, in the order of the configuration.
func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	c := validConfig(t)
	c.DatabaseURL = "mysql://db"
	c.TaskQueue = ""
	c.BcryptCost = 99
	c.IngestChunkLines = 0
	c.NotifyEmailRate, c.NotifyInAppRate = -1, -2
	c.DigestRankChange = -1
	err := c.Validate()
	if err == nil {
		t.Fatal("want problems, got none")
	}
	want := []string{"SHOPFLOW_DATABASE_URL", "SHOPFLOW_TASK_QUEUE", "SHOPFLOW_BCRYPT_COST", "SHOPFLOW_INGEST_CHUNK_LINES",
		"SHOPFLOW_NOTIFY_EMAIL_RATE", "SHOPFLOW_NOTIFY_INAPP_RATE", "SHOPFLOW_DIGEST_RANK_CHANGE"}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d problems, want %d: %q", len(lines), len(want), lines)
	}
	for i, name := range want {
		if !strings.HasPrefix(lines[i], name+": ") {
			t.Errorf("problem %d is %q, want one naming %s", i+1, lines[i], name)
		}
	}
}
