package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/wneessen/go-mail"
)

// TLS modes of the SMTP connection.
const (
	// TLSStartTLS requires STARTTLS on a plain connection (port 587; Amazon SES's default).
	TLSStartTLS = "starttls"
	// TLSImplicit opens the connection over TLS (port 465).
	TLSImplicit = "tls"
	// TLSNone sends in the clear; for local relays and tests only.
	TLSNone = "none"
)

// EmailConfig is the SMTP server and sender. With Amazon SES, Host is
// email-smtp.<region>.amazonaws.com, Port 587 with TLSStartTLS (or 465 with TLSImplicit), and
// Username/Password are the SES SMTP credentials.
type EmailConfig struct {
	Host     string
	Port     int
	Username string // empty: no AUTH
	Password string
	// AuthMechanism is PLAIN (default), LOGIN or CRAM-MD5.
	AuthMechanism string
	From          string
	TLSMode       string // starttls (default), tls or none
	// TLSConfig overrides the TLS settings (tests trust their own certificate with it).
	TLSConfig *tls.Config
	Timeout   time.Duration // per connection; default 15 s
}

// Email sends notifications by SMTP: a text body with an HTML alternative when there is one,
// and the message's inline images as related parts the HTML refers to by cid:.
type Email struct {
	cfg EmailConfig
}

// NewEmail checks cfg and returns the channel.
func NewEmail(cfg EmailConfig) (*Email, error) {
	if cfg.Host == "" || cfg.From == "" {
		return nil, errors.New("email channel: SMTP host and from address are required")
	}
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.TLSMode == "" {
		cfg.TLSMode = TLSStartTLS
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	switch cfg.TLSMode {
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, fmt.Errorf("email channel: TLS mode %q is not starttls, tls or none", cfg.TLSMode)
	}
	return &Email{cfg: cfg}, nil
}

// Name is "email".
func (e *Email) Name() string { return "email" }

// Send delivers msg in one SMTP session. A 5xx reply (rejected address, refused message) is
// permanent; 4xx replies, refused connections and timeouts are transient.
func (e *Email) Send(ctx context.Context, msg Message) error {
	m := mail.NewMsg()
	if err := m.From(e.cfg.From); err != nil {
		return Permanent(0, fmt.Errorf("from address %q: %w", e.cfg.From, err))
	}
	if err := m.To(msg.To); err != nil {
		return Permanent(0, fmt.Errorf("to address %q: %w", msg.To, err))
	}
	m.Subject(msg.Subject)
	m.SetBodyString(mail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		m.AddAlternativeString(mail.TypeTextHTML, msg.HTML)
	}
	// Embedded files make go-mail wrap the text/HTML alternative in multipart/related, the
	// structure in which a client resolves the HTML's cid: URLs to these parts.
	for _, img := range msg.Inline {
		name := img.Filename
		if name == "" {
			name = img.ContentID
		}
		err := m.EmbedReader(name, bytes.NewReader(img.Data), mail.WithFileContentType(mail.ContentType(img.ContentType)),
			mail.WithFileContentID("<"+img.ContentID+">"))
		if err != nil {
			return Permanent(0, fmt.Errorf("inline image %s: %w", img.ContentID, err))
		}
	}
	client, err := mail.NewClient(e.cfg.Host, e.options()...)
	if err != nil {
		return Permanent(0, fmt.Errorf("smtp client: %w", err))
	}
	if err := client.DialAndSendWithContext(ctx, m); err != nil {
		return classifySMTP(err)
	}
	return nil
}

func (e *Email) options() []mail.Option {
	opts := []mail.Option{mail.WithPort(e.cfg.Port), mail.WithTimeout(e.cfg.Timeout)}
	switch e.cfg.TLSMode {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if e.cfg.TLSConfig != nil {
		opts = append(opts, mail.WithTLSConfig(e.cfg.TLSConfig))
	}
	if e.cfg.Username != "" {
		mech := mail.SMTPAuthPlain
		switch e.cfg.AuthMechanism {
		case "LOGIN":
			mech = mail.SMTPAuthLogin
		case "CRAM-MD5":
			mech = mail.SMTPAuthCramMD5
		}
		opts = append(opts, mail.WithSMTPAuth(mech), mail.WithUsername(e.cfg.Username), mail.WithPassword(e.cfg.Password))
	}
	return opts
}

// classifySMTP makes a 5xx SMTP reply permanent and leaves everything else transient.
func classifySMTP(err error) error {
	var se *mail.SendError
	if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
		return Permanent(se.ErrorCode(), err)
	}
	return fmt.Errorf("smtp: %w", err)
}
