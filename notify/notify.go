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
	// Inline are the images HTML shows with <img src="cid:ContentID">; email sends them as
	// parts of a multipart/related message, SMS and in-app ignore them.
	Inline []InlineImage
}

// InlineImage is an image carried inside an email and shown by its HTML through a cid: URL, so
// the mail client needs no network access (and no permission to load remote images) to show it.
type InlineImage struct {
	// ContentID names the image without angle brackets, e.g. "chart-2026-11-20@shopflow"; the
	// HTML refers to it as cid:chart-2026-11-20@shopflow.
	ContentID   string
	ContentType string // e.g. image/png
	// Filename is offered if the reader saves the image; empty uses ContentID.
	Filename string
	Data     []byte
}

// validate refuses an image no mail client could show, before anything is stored.
func (img InlineImage) validate() error {
	switch {
	case img.ContentID == "" || strings.ContainsAny(img.ContentID, "<> \t\r\n\""):
		return fmt.Errorf("inline image: content id %q is empty or not a bare id", img.ContentID)
	case img.ContentType == "":
		return fmt.Errorf("inline image %s: no content type", img.ContentID)
	case len(img.Data) == 0:
		return fmt.Errorf("inline image %s: no data", img.ContentID)
	}
	return nil
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
