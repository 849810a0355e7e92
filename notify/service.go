package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"shopflow/store"
)

// ErrRetryLater means a send failed transiently on every attempt: it stays queued under its
// key, and sending the same request again (a retried activity, a rerun) resumes it.
var ErrRetryLater = errors.New("notification failed transiently; retry later")

// ErrNoChannel means the channel asked for is not configured in this process.
var ErrNoChannel = errors.New("notification channel not configured")

// Service is the one way Shopflow sends a notification: every send stores its idempotency key
// first, waits for its channel's rate limit, calls the provider, and records the outcome.
type Service struct {
	Store    *store.Store
	Channels map[string]Channel
	// Limiter paces each channel; nil sends unpaced.
	Limiter Limiter
	Retry   RetryPolicy
	Logger  *slog.Logger
	// Sleep waits between attempts; nil uses a timer (tests make it instant).
	Sleep func(ctx context.Context, d time.Duration) error
	// Metrics counts failed attempts; nil counts nothing.
	Metrics Metrics
}

// RetryPolicy bounds the retries of transient failures within one Send.
type RetryPolicy struct {
	Attempts int           // total attempts per Send; default 4
	Initial  time.Duration // first backoff; default 500 ms, doubling
	Max      time.Duration // longest backoff; default 10 s
}

// NewService returns a Service over the given channels, keyed by their names.
func NewService(st *store.Store, limiter Limiter, logger *slog.Logger, channels ...Channel) *Service {
	m := make(map[string]Channel, len(channels))
	for _, c := range channels {
		m[c.Name()] = c
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Service{Store: st, Channels: m, Limiter: limiter, Logger: logger}
}

// Request is one message to send on one channel.
type Request struct {
	// Key is the idempotency key, made with Key(recipient, kind, period, channel).
	Key         string
	RecipientID string // the user it is for; required for in-app
	To          string // email address or E.164 number; ignored for in-app
	Channel     string
	Kind        string
	Subject     string
	Text        string
	HTML        string
	// Inline are images HTML shows by cid:; stored with the rest of the content, so a resumed
	// send carries the images of the first attempt. Only email sends them.
	Inline []InlineImage
}

// Outcome is what became of a Request.
type Outcome struct {
	NotificationID int64  `json:"notification_id"`
	Status         string `json:"status"` // sent, failed, queued (transient, retry later), sending (another worker has it)
	// Duplicate is true when the key was already settled or in flight, so nothing was sent now.
	Duplicate bool   `json:"duplicate"`
	Attempts  int    `json:"attempts"`
	Error     string `json:"error,omitempty"`
}

// Configured reports whether the channel can be used in this process.
func (s *Service) Configured(channel string) bool { return s.Channels[channel] != nil }

// Send sends r at most once per key. A key already sent, failed or in flight returns its state
// with Duplicate set and calls no provider. Transient failures are retried with exponential
// backoff up to the policy's attempts, then the send stays queued and Send returns
// ErrRetryLater; a permanent failure is recorded as failed and returned in the Outcome, not as
// an error, because retrying cannot fix it.
func (s *Service) Send(ctx context.Context, r Request) (Outcome, error) {
	ch := s.Channels[r.Channel]
	if ch == nil {
		return Outcome{}, fmt.Errorf("send %s: %w: %q", r.Key, ErrNoChannel, r.Channel)
	}
	to := r.To
	if r.Channel == store.ChannelInApp {
		to = r.RecipientID
	}
	if to == "" {
		return Outcome{}, fmt.Errorf("send %s: no address for channel %s", r.Key, r.Channel)
	}
	inline := make([]store.NotificationImage, len(r.Inline))
	for i, img := range r.Inline {
		if err := img.validate(); err != nil {
			return Outcome{}, fmt.Errorf("send %s: %w", r.Key, err)
		}
		inline[i] = store.NotificationImage(img)
	}
	row, inserted, err := s.Store.RecordNotification(ctx, store.NewNotification{Key: r.Key, RecipientID: r.RecipientID,
		Address: r.To, Channel: r.Channel, Kind: r.Kind, Subject: r.Subject, Body: r.Text, HTML: r.HTML, Inline: inline})
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{NotificationID: row.ID, Status: row.Status, Attempts: row.Attempts, Error: row.LastError}
	if !inserted && row.Status != store.NotificationQueued {
		out.Duplicate = true
		return out, nil
	}
	// Resuming a queued row sends its stored content, not r's: one key, one message.
	msg := Message{To: to, Subject: row.Subject, Text: row.Body, HTML: row.HTML}
	for _, img := range row.Inline {
		msg.Inline = append(msg.Inline, InlineImage(img))
	}
	policy := s.Retry.withDefaults()
	backoff := policy.Initial
	for attempt := 1; ; attempt++ {
		if s.Limiter != nil {
			if err := s.Limiter.Wait(ctx, r.Channel); err != nil {
				return out, fmt.Errorf("send %s: rate limit: %w", r.Key, err)
			}
		}
		started, err := s.Store.StartNotificationAttempt(ctx, row.ID)
		if err != nil {
			return out, err
		}
		if !started {
			out.Duplicate, out.Status = true, store.NotificationSending
			return out, nil
		}
		out.Attempts++
		sendErr := ch.Send(ctx, msg)
		// Record the outcome even if ctx was canceled meanwhile: the provider may have sent.
		rec := context.WithoutCancel(ctx)
		switch {
		case sendErr == nil:
			out.Status, out.Error = store.NotificationSent, ""
			return out, s.Store.FinishNotificationAttempt(rec, row.ID, store.NotificationSent, "")
		case IsPermanent(sendErr):
			s.sendFailed(r, true)
			out.Status, out.Error = store.NotificationFailed, sendErr.Error()
			s.Logger.WarnContext(ctx, "notification failed permanently", "key", r.Key, "err", sendErr)
			return out, s.Store.FinishNotificationAttempt(rec, row.ID, store.NotificationFailed, sendErr.Error())
		}
		s.sendFailed(r, false)
		out.Status, out.Error = store.NotificationQueued, sendErr.Error()
		if err := s.Store.FinishNotificationAttempt(rec, row.ID, store.NotificationQueued, sendErr.Error()); err != nil {
			return out, err
		}
		s.Logger.InfoContext(ctx, "notification failed transiently", "key", r.Key, "attempt", attempt, "err", sendErr)
		if attempt >= policy.Attempts || ctx.Err() != nil {
			return out, fmt.Errorf("send %s after %d attempts: %w: %v", r.Key, attempt, ErrRetryLater, sendErr)
		}
		if err := s.sleep(ctx, backoff); err != nil {
			return out, fmt.Errorf("send %s: %w: %v", r.Key, ErrRetryLater, err)
		}
		backoff = min(backoff*2, policy.Max)
	}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 4
	}
	if p.Initial <= 0 {
		p.Initial = 500 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 10 * time.Second
	}
	return p
}

func (s *Service) sleep(ctx context.Context, d time.Duration) error {
	if s.Sleep != nil {
		return s.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
