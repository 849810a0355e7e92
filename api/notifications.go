package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/nyaruka/phonenumbers"

	"shopflow/errs"
	"shopflow/notify"
	"shopflow/store"
)

// listNotifications pages through the caller's in-app notifications, newest first; unread=true
// keeps only the unread ones.
func (s *Server) listNotifications(c *gin.Context) {
	q, p, err := listQuery(c, "unread")
	if err != nil {
		s.fail(c, err)
		return
	}
	f := store.InboxFilter{UserID: mustClaims(c).UserID(), Limit: p.Limit, Cursor: p.Cursor}
	if v, ok := q["unread"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.fail(c, badParam("unread", "must be true or false, got %q", v))
			return
		}
		f.UnreadOnly = b
	}
	inbox, err := s.Store.Inbox(c, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(inbox.Items, inbox.NextCursor))
}

// readNotification marks one of the caller's notifications read; anyone else's is a 404.
func (s *Server) readNotification(c *gin.Context) {
	id, err := pathInt64(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	n, err := s.Store.MarkNotificationRead(c, mustClaims(c).UserID(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, n)
}

// getNotificationPreferences returns the seller's channels and addresses (defaults if unset).
func (s *Server) getNotificationPreferences(c *gin.Context) {
	sellerID, ok := s.callerSeller(c)
	if !ok {
		return
	}
	p, err := s.Store.NotificationPreferences(c, sellerID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// preferencesRequest is the body of PUT /sellers/me/notification-preferences.
type preferencesRequest struct {
	Channels []string `json:"channels" binding:"required,unique,dive,oneof=email sms inapp"`
	Email    string   `json:"email" binding:"omitempty,email,max=254"`
	Phone    string   `json:"phone" binding:"omitempty,max=16"`
}

// putNotificationPreferences replaces the seller's preferences. The phone must be a valid
// number in E.164 form; choosing sms needs a phone. Email empty means the account's email.
func (s *Server) putNotificationPreferences(c *gin.Context) {
	sellerID, ok := s.callerSeller(c)
	if !ok {
		return
	}
	var r preferencesRequest
	if err := bindJSON(c, &r); err != nil {
		s.fail(c, err)
		return
	}
	if r.Email != "" {
		if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email {
			s.fail(c, fieldInvalid("email", "must be an email address"))
			return
		}
	}
	if r.Phone != "" && !validE164(r.Phone) {
		s.fail(c, fieldInvalid("phone", "must be a valid phone number in E.164 form, like +14155550123"))
		return
	}
	for _, ch := range r.Channels {
		if ch == store.ChannelSMS && r.Phone == "" {
			s.fail(c, fieldInvalid("phone", "is required when channels include sms"))
			return
		}
	}
	p, err := s.Store.PutNotificationPreferences(c, sellerID, store.NotificationPreferences{Channels: r.Channels, Email: r.Email, Phone: r.Phone})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// getNotificationFile returns a submitted notification file's status and per-row results.
func (s *Server) getNotificationFile(c *gin.Context) {
	f, err := s.Store.NotificationFileByID(c, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, f)
}

// submitNotificationFile takes a notification file (CSV or NDJSON, within the request body
// limit) as the raw body, checks every row, and registers it for delivery: the worker's
// notification run (every minute) sends its valid rows and records each row's result, which
// GET .../files/{id} returns. Bad rows are reported and do not stop the good ones.
func (s *Server) submitNotificationFile(c *gin.Context) {
	q, err := singleQueryValues(c, "format")
	if err != nil {
		s.fail(c, err)
		return
	}
	format := q["format"]
	if format == "" {
		switch mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); mt {
		case "text/csv":
			format = notify.FormatCSV
		case "application/x-ndjson", "application/jsonl":
			format = notify.FormatNDJSON
		default:
			s.fail(c, errs.E(errs.Invalid, "send the file as text/csv or application/x-ndjson (or name it in ?format=csv|ndjson), not %q", mt))
			return
		}
	}
	if format != notify.FormatCSV && format != notify.FormatNDJSON {
		s.fail(c, badParam("format", "must be csv or ndjson, got %q", format))
		return
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		s.fail(c, bodyReadError(err))
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		s.fail(c, errs.E(errs.Invalid, "the notification file is empty"))
		return
	}
	if err := checkFileText(body, format == notify.FormatNDJSON); err != nil {
		s.fail(c, err)
		return
	}
	rows, rejected, err := notify.ParseFile(format, body)
	if err != nil {
		s.fail(c, errs.Wrap(err, errs.Unprocessable, "the notification file cannot be read: %v", err))
		return
	}
	sum := sha256.Sum256(body)
	id, err := s.Store.CreateNotificationFile(c, hex.EncodeToString(sum[:]), format, mustClaims(c).UserID(), rows, rejected)
	if err != nil {
		s.fail(c, err)
		return
	}
	f, err := s.Store.NotificationFileByID(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/admin/notifications/files/"+id)
	c.JSON(http.StatusAccepted, f)
}

// validE164 reports whether phone is a valid number written exactly in E.164 form.
func validE164(phone string) bool {
	n, err := phonenumbers.Parse(phone, "")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return false
	}
	return phonenumbers.Format(n, phonenumbers.E164) == phone
}
