package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

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
	var e *errs.Error
	if !errors.As(err, &e) || e.Code == errs.Internal {
		s.log(c).ErrorContext(c.Request.Context(), "internal error", "err", err)
		c.AbortWithStatusJSON(http.StatusInternalServerError, ErrorBody{Error: ErrorDetail{
			Code:    errs.Internal,
			Message: "internal error; quote request id " + requestID(c) + " when reporting it",
		}})
		return
	}
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
	}
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorDetail{Code: e.Code, Message: e.Message, Details: e.Details}})
}

func (s *Server) log(c *gin.Context) *slog.Logger {
	return s.Logger.With("request_id", requestID(c))
}
