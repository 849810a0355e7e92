package config

import (
	"strings"
	"testing"
	"time"
)

const secret = "0123456789abcdef0123456789abcdef"

func TestLoadDefaults(t *testing.T) {
	c, err := Load([]string{"SHOPFLOW_JWT_SECRET=" + secret})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.PaymentTimeout != 5*time.Minute || c.HTTPAddr != "127.0.0.1:8080" || c.TaskQueue != "shopflow" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	cases := []struct {
		name    string
		environ []string
		want    string
	}{
		{"short secret", []string{"SHOPFLOW_JWT_SECRET=short"}, "SHOPFLOW_JWT_SECRET"},
		{"unparseable duration", []string{"SHOPFLOW_JWT_SECRET=" + secret, "SHOPFLOW_ACCESS_TOKEN_TTL=soon"}, "SHOPFLOW_ACCESS_TOKEN_TTL"},
		{"unparseable int", []string{"SHOPFLOW_JWT_SECRET=" + secret, "SHOPFLOW_BCRYPT_COST=x"}, "SHOPFLOW_BCRYPT_COST"},
		{"bad database url", []string{"SHOPFLOW_JWT_SECRET=" + secret, "SHOPFLOW_DATABASE_URL=mysql://x"}, "SHOPFLOW_DATABASE_URL"},
		{"bad redis url", []string{"SHOPFLOW_JWT_SECRET=" + secret, "SHOPFLOW_REDIS_URL=localhost"}, "SHOPFLOW_REDIS_URL"},
		{"admin email without password", []string{"SHOPFLOW_JWT_SECRET=" + secret, "SHOPFLOW_ADMIN_EMAIL=a@b.c"}, "SHOPFLOW_ADMIN_PASSWORD"},
		{"short admin password", []string{"SHOPFLOW_JWT_SECRET=" + secret, "SHOPFLOW_ADMIN_EMAIL=a@b.c", "SHOPFLOW_ADMIN_PASSWORD=short"}, "SHOPFLOW_ADMIN_PASSWORD"},
		{"bad log level", []string{"SHOPFLOW_JWT_SECRET=" + secret, "SHOPFLOW_LOG_LEVEL=loud"}, "SHOPFLOW_LOG_LEVEL"},
		{"unknown provider", []string{"SHOPFLOW_PAYMENT_PROVIDER=paypal"}, "SHOPFLOW_PAYMENT_PROVIDER"},
		{"stripe without webhook secret", []string{"SHOPFLOW_PAYMENT_PROVIDER=stripe", "SHOPFLOW_STRIPE_SECRET_KEY=sk_test_x"}, "SHOPFLOW_STRIPE_WEBHOOK_SECRET"},
		// A key alone no longer picks the provider, and is not silently ignored either.
		{"stripe key without a provider", []string{"SHOPFLOW_STRIPE_SECRET_KEY=sk_test_x", "SHOPFLOW_STRIPE_WEBHOOK_SECRET=whsec_x"}, "SHOPFLOW_PAYMENT_PROVIDER"},
		{"zero payment timeout", []string{"SHOPFLOW_JWT_SECRET=" + secret, "SHOPFLOW_PAYMENT_TIMEOUT=0s"}, "SHOPFLOW_PAYMENT_TIMEOUT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.environ)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error naming %s, got %v", tc.want, err)
			}
		})
	}
}

func TestDatabasePasswordNotEchoed(t *testing.T) {
	_, err := Load([]string{"SHOPFLOW_JWT_SECRET=" + secret, "SHOPFLOW_DATABASE_URL=mysql://u:hunter2@h/db"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("want redacted error, got %v", err)
	}
}

func TestJWTSecretRequiredOnlyForAPI(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatalf("Load without a secret (as migrate and worker run): %v", err)
	}
	if err := c.ValidateAPI(); err == nil || !strings.Contains(err.Error(), "SHOPFLOW_JWT_SECRET") {
		t.Fatalf("ValidateAPI without secret: want error naming SHOPFLOW_JWT_SECRET, got %v", err)
	}
}
