package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgconn"

	"shopflow/errs"
)

// statusOf is the one table from domain error codes to HTTP status.
var statusOf = map[errs.Code]int{
	errs.Invalid:       http.StatusBadRequest,
	errs.Unprocessable: http.StatusUnprocessableEntity,
	errs.Unauthorized:  http.StatusUnauthorized,
	errs.Forbidden:     http.StatusForbidden,
	errs.NotFound:      http.StatusNotFound,
	errs.Conflict:      http.StatusConflict,
	errs.TooLarge:      http.StatusRequestEntityTooLarge,
	errs.RateLimited:   http.StatusTooManyRequests,
	errs.Unavailable:   http.StatusServiceUnavailable,
	errs.Internal:      http.StatusInternalServerError,
}

// ErrorBody is the one JSON shape of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong in a form clients can branch on (Code) and show (Message).
type ErrorDetail struct {
	Code    errs.Code      `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// fail writes err as the JSON error response and aborts the handler chain. Internal errors are
// logged with their cause and shown to the client only as a generic message with the request id.
func (s *Server) fail(c *gin.Context, err error) {
	if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
		// The client hung up (a shopper closed the tab): nothing failed, and nobody reads the answer.
		s.log(c).DebugContext(c.Request.Context(), "client went away", "err", err)
		c.AbortWithStatus(statusClientClosedRequest)
		return
	}
	err = asUnavailable(err)
	var e *errs.Error
	if !errors.As(err, &e) || e.Code == errs.Internal {
		s.log(c).ErrorContext(c.Request.Context(), "internal error", "err", err)
		c.AbortWithStatusJSON(http.StatusInternalServerError, ErrorBody{Error: ErrorDetail{
			Code:    errs.Internal,
			Message: "internal error; quote request id " + requestID(c) + " when reporting it",
		}})
		return
	}
	e = withoutConstraint(e)
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		s.log(c).ErrorContext(c.Request.Context(), "request failed", "err", err, "code", e.Code)
	} else if e.Err != nil {
		s.log(c).DebugContext(c.Request.Context(), "request rejected", "err", err, "code", e.Code)
	}
	if secs, ok := e.Details["retry_after_seconds"]; ok {
		c.Header("Retry-After", fmt.Sprint(secs))
	} else if status == http.StatusServiceUnavailable {
		// A dependency is down: clients and load balancers back off instead of hammering it.
		c.Header("Retry-After", unavailableRetryAfter)
	}
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorDetail{Code: e.Code, Message: e.Message, Details: e.Details}})
}

// statusClientClosedRequest is what the access log shows for a request whose client hung up
// before the answer (nginx's 499); no client ever receives it.
const statusClientClosedRequest = 499

// unavailableRetryAfter is the Retry-After of a 503 that names no delay of its own: about how
// long a restarting Postgres, Redis or Temporal takes to answer again.
const unavailableRetryAfter = "5"

func (s *Server) log(c *gin.Context) *slog.Logger {
	return s.Logger.With("request_id", requestID(c))
}

// withoutConstraint keeps database constraint names out of responses: they describe our schema,
// not the client's request. The store marks a constraint violation with details.constraint;
// when the constraint guards one column (Postgres names those <table>_<column>_check, _key or
// _fkey), the error names that column as the field, as any other field error does. Otherwise
// the message stays general.
func withoutConstraint(e *errs.Error) *errs.Error {
	name, ok := e.Details["constraint"].(string)
	var pgErr *pgconn.PgError
	if !ok && errors.As(e.Err, &pgErr) && pgErr.ConstraintName != "" {
		name, ok = pgErr.ConstraintName, true
	}
	if !ok {
		return e
	}
	out := &errs.Error{Code: e.Code, Err: e.Err, Details: map[string]any{}}
	for k, v := range e.Details {
		if k != "constraint" {
			out.Details[k] = v
		}
	}
	table := ""
	if errors.As(e.Err, &pgErr) {
		table = pgErr.TableName
	}
	field, problem, code := constraintField(name, table)
	if field == "" {
		out.Message = strings.TrimSuffix(strings.TrimSpace(strings.ReplaceAll(e.Message, name, "")), ":")
		if len(out.Details) == 0 {
			out.Details = nil
		}
		return out
	}
	out.Code = code
	out.Message = field + " " + problem
	out.Details["fields"] = map[string]string{field: problem}
	return out
}

// constraintField is the column a single-column constraint guards, what breaking it means,
// and its code: a value the rule refuses is a field error like any other (422); a value taken
// by another row is a conflict (409).
func constraintField(constraint, table string) (field, problem string, code errs.Code) {
	rest, ok := strings.CutPrefix(constraint, table+"_")
	if table == "" || !ok {
		return "", "", ""
	}
	for _, s := range []struct {
		suffix, problem string
		code            errs.Code
	}{
		{"_check", "is not allowed", errs.Unprocessable},
		{"_key", "is taken", errs.Conflict},
		{"_fkey", "refers to something that does not exist", errs.Unprocessable},
	} {
		if col, ok := strings.CutSuffix(rest, s.suffix); ok && col != "" {
			return col, s.problem, s.code
		}
	}
	return "", "", ""
}
