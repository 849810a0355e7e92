package notify

import (
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"shopflow/store"
)

// Config is everything the notification service needs from the process's configuration. A
// channel whose settings are absent (no SMTP host, no Twilio account) is left out: sends on it
// are skipped with a warning, in-app is always on.
type Config struct {
	Email EmailConfig
	SMS   SMSConfig
	// RatePerSecond caps each channel's sends across all workers (email, sms, inapp); zero or
	// absent is unlimited.
	RatePerSecond map[string]int
	Retry         RetryPolicy
}

// DefaultRates are conservative provider defaults: Amazon SES's starting 14 messages a second,
// and a Twilio long code's 1 message a second.
func DefaultRates() map[string]int { return map[string]int{"email": 14, "sms": 1} }

// NewServiceFromConfig builds the Service with every configured channel, paced in Redis when
// rdb is set (keys under redisPrefix).
func NewServiceFromConfig(cfg Config, st *store.Store, rdb redis.UniversalClient, redisPrefix string, logger *slog.Logger) (*Service, error) {
	channels := []Channel{InApp{}}
	if cfg.Email.Host != "" {
		e, err := NewEmail(cfg.Email)
		if err != nil {
			return nil, err
		}
		channels = append(channels, e)
	}
	if cfg.SMS.AccountSID != "" {
		s, err := NewSMS(cfg.SMS)
		if err != nil {
			return nil, err
		}
		channels = append(channels, s)
	}
	var limiter Limiter
	if rdb != nil {
		rates := cfg.RatePerSecond
		if rates == nil {
			rates = DefaultRates()
		}
		limiter = NewRedisLimiter(rdb, redisPrefix, rates)
	}
	svc := NewService(st, limiter, logger, channels...)
	svc.Retry = cfg.Retry
	if len(svc.Channels) != len(channels) {
		return nil, fmt.Errorf("notify: duplicate channel names")
	}
	return svc, nil
}
