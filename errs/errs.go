// Package errs is Shopflow's error vocabulary: every domain failure carries one Code, and the API
// maps codes to HTTP status in a single table, so packages below the API never speak HTTP.
package errs

import (
	"errors"
	"fmt"
)

// Code classifies an error for callers; it is stable and appears in API responses.
type Code string

// The codes, in the shop's words. Internal is the default for anything unclassified.
const (
	Invalid       Code = "invalid"      // malformed request: bad JSON, wrong types
	Unprocessable Code = "validation"   // well-formed but fails validation rules
	Unauthorized  Code = "unauthorized" // no or bad credentials
	Forbidden     Code = "forbidden"    // authenticated but not allowed
	NotFound      Code = "not_found"    // no such thing, or not visible to the caller
	Conflict      Code = "conflict"     // clashes with current state (duplicate, stock, transition)
	TooLarge      Code = "too_large"    // body over the limit
	RateLimited   Code = "rate_limited" // too many requests
	Unavailable   Code = "unavailable"  // a dependency is down
	Internal      Code = "internal"     // a bug or an unexpected failure; never shown in detail
)

// Error is a classified failure with a message safe to show to clients.
type Error struct {
	Code    Code
	Message string
	// Details carries machine-readable context (field errors, available stock, retry hints).
	Details map[string]any
	// Err is the underlying cause, logged but never shown to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an Error with a formatted, client-safe message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithDetails returns e with a details entry added.
func (e *Error) WithDetails(key string, value any) *Error {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	e.Details[key] = value
	return e
}

// Wrap classifies cause under code with a client-safe message; the cause stays for logs.
func Wrap(cause error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}

// CodeOf returns the code of the first *Error in err's chain, or Internal.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err is classified as code.
func Is(err error, code Code) bool { return CodeOf(err) == code }
