package api

import (
	"context"
	"os"
	"testing"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// A client that hangs up mid-request is not Redis failing: it must not switch the limiter off
// (for every caller) for the backoff.
func TestClientHangUpDoesNotSwitchTheLimiterOff(t *testing.T) {
	url := os.Getenv("SHOPFLOW_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	r := &rateLimiter{limiter: redis_rate.NewLimiter(rdb), prefix: "test:hangup:" + t.Name() + ":"}
	gone, cancel := context.WithCancel(context.Background())
	cancel() // the client has hung up
	if _, err := r.allow(gone, "reads:ip:192.0.2.1", 100); err != nil {
		t.Fatalf("limit with the request's context canceled: %v", err)
	}
	if r.redisDownUntil.Load() != 0 {
		t.Fatal("a hung-up client switched the limiter off")
	}
}

// Only what runs bcrypt or guesses passwords is in the auth class (which Redis being down
// closes); refreshing and ending a session stay open, or sessions would lapse with Redis.
func TestAuthClassIsRegistrationAndLogin(t *testing.T) {
	for route, want := range map[string]routeClass{
		"/api/v1/auth/register": classAuth,
		"/api/v1/auth/login":    classAuth,
		"/api/v1/auth/refresh":  classWrites,
		"/api/v1/auth/logout":   classWrites,
	} {
		if got := classOf("POST", route); got != want {
			t.Errorf("POST %s: class %q, want %q", route, got, want)
		}
	}
}
