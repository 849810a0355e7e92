package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"
	twapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// SMSConfig is the Twilio account and sender.
type SMSConfig struct {
	AccountSID string
	AuthToken  string
	From       string // an E.164 number or a messaging service's sender
	// BaseURL replaces https://api.twilio.com (a fake in tests, a proxy in some deployments).
	BaseURL string
	Timeout time.Duration // per request; default 10 s
	// HTTPClient, when set, is used as is (its Transport still gets BaseURL rewriting).
	HTTPClient *http.Client
}

// SMS sends notifications as text messages through Twilio's Messages API.
type SMS struct {
	from   string
	client *twilio.RestClient
}

// NewSMS checks cfg and returns the channel.
func NewSMS(cfg SMSConfig) (*SMS, error) {
	if cfg.AccountSID == "" || cfg.AuthToken == "" || cfg.From == "" {
		return nil, errors.New("sms channel: Twilio account SID, auth token and from number are required")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	hc := &http.Client{Timeout: cfg.Timeout}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	// Never follow redirects, as twilio-go's own default client does.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if cfg.BaseURL != "" {
		base, err := url.Parse(cfg.BaseURL)
		if err != nil || base.Host == "" {
			return nil, fmt.Errorf("sms channel: base URL %q is not an absolute URL", cfg.BaseURL)
		}
		next := hc.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		hc.Transport = rebase{base: base, next: next}
	}
	tc := &twclient.Client{Credentials: twclient.NewCredentials(cfg.AccountSID, cfg.AuthToken), HTTPClient: hc}
	tc.SetAccountSid(cfg.AccountSID)
	return &SMS{from: cfg.From, client: twilio.NewRestClientWithParams(twilio.ClientParams{Client: tc})}, nil
}

// Name is "sms".
func (s *SMS) Name() string { return "sms" }

// permanentTwilioCodes are Twilio errors about the message itself: invalid or unreachable
// "To" numbers, unsubscribed recipients. Retrying them cannot succeed.
var permanentTwilioCodes = map[int]bool{21211: true, 21614: true, 21610: true, 21408: true, 21612: true}

// Send posts one message. Twilio's invalid-number errors and other 4xx refusals are permanent;
// 429, 5xx, timeouts and network failures are transient. twilio-go takes no context, so the
// HTTP client's timeout bounds the call.
func (s *SMS) Send(ctx context.Context, msg Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	params := &twapi.CreateMessageParams{}
	params.SetTo(msg.To)
	params.SetFrom(s.from)
	params.SetBody(msg.Text)
	_, err := s.client.Api.CreateMessage(params)
	if err == nil {
		return nil
	}
	var te *twclient.TwilioRestError
	if errors.As(err, &te) {
		switch {
		case permanentTwilioCodes[te.Code]:
			return Permanent(te.Code, err)
		case te.Status == http.StatusTooManyRequests || te.Status >= 500:
			return fmt.Errorf("twilio: %w", err)
		case te.Status >= 400:
			return Permanent(te.Code, err)
		}
	}
	return fmt.Errorf("twilio: %w", err)
}

// rebase sends every request to base's scheme and host, keeping the path.
type rebase struct {
	base *url.URL
	next http.RoundTripper
}

func (r rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme = r.base.Scheme
	req.URL.Host = r.base.Host
	req.URL.Path = r.base.Path + req.URL.Path
	req.Host = r.base.Host
	return r.next.RoundTrip(req)
}
