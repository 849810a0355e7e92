// Package notify sends notifications to people on email (SMTP), SMS (Twilio) and in-app
// (Postgres) through one Service that makes every send idempotent, rate limited and retried.
package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Channel delivers one message to one address on one medium.
type Channel interface {
	// Name is the channel's name as stored: email, sms or inapp.
	Name() string
	// Send delivers msg. A failure retrying cannot fix is wrapped by Permanent; any other error
	// is transient.
	Send(ctx context.Context, msg Message) error
}

// Message is one notification ready for a channel.
type Message struct {
	// To is an email address, an E.164 phone number, or (in-app) the recipient's user id.
	To      string
	Subject string
	Text    string
	// HTML, when set, is sent by email as the HTML alternative of Text.
	HTML string
}

// PermanentError is a provider's refusal that retrying cannot fix: an invalid number, a
// rejected address.
type PermanentError struct {
	// Code is the provider's code (an SMTP reply code, a Twilio error code).
	Code int
	Err  error
}

func (e *PermanentError) Error() string {
	return fmt.Sprintf("permanent failure (code %d): %v", e.Code, e.Err)
}

func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as a permanent failure with the provider's code.
func Permanent(code int, err error) error { return &PermanentError{Code: code, Err: err} }

// IsPermanent reports whether err is a permanent failure.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Key is a send's idempotency key: recipient:kind:period:channel. The period says which
// occurrence of kind it is (an order id, a day, a file row), so one key is one message ever.
func Key(recipient, kind, period, channel string) string {
	return strings.Join([]string{recipient, kind, period, channel}, ":")
}
