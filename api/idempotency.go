package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"regexp"

	"github.com/gin-gonic/gin"

	"shopflow/errs"
)

const idempotencyHeader = "Idempotency-Key"

var validIdempotencyKey = regexp.MustCompile(`^[\x21-\x7e]{1,255}$`)

// idempotent makes a creating POST safe to retry: the first request with a given
// Idempotency-Key is handled and its response stored; a repeat with the same body gets that
// response again (Idempotent-Replayed: true) and creates nothing; a repeat with another body,
// or while the first is still running, is a 409. Keys are scoped to the caller and the route.
func (s *Server) idempotent(c *gin.Context) {
	key := c.GetHeader(idempotencyHeader)
	if key == "" {
		c.Next()
		return
	}
	if !validIdempotencyKey.MatchString(key) {
		s.fail(c, badParam(idempotencyHeader, "must be 1 to 255 visible ASCII characters"))
		return
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		s.fail(c, bodyReadError(err))
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(append([]byte(c.Request.Method+" "+c.Request.URL.RequestURI()+"\n"), body...))
	hash := hex.EncodeToString(sum[:])
	scope := mustClaims(c).UserID() + " " + c.Request.Method + " " + c.FullPath()

	claimed, prev, err := s.Store.ClaimIdempotencyKey(c, scope, key, hash)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !claimed {
		switch {
		case prev.RequestHash != hash:
			s.fail(c, errs.E(errs.Conflict, "Idempotency-Key was already used with a different request"))
		case !prev.Done:
			s.fail(c, errs.E(errs.Conflict, "a request with this Idempotency-Key is still being processed").
				WithDetails("retry_after_seconds", 1))
		default:
			for k, vs := range prev.Header {
				for _, v := range vs {
					c.Writer.Header().Add(k, v)
				}
			}
			c.Header("Idempotent-Replayed", "true")
			c.Data(prev.StatusCode, "application/json; charset=utf-8", prev.Body)
			c.Abort()
		}
		return
	}

	rec := &recordingWriter{ResponseWriter: c.Writer}
	c.Writer = rec
	c.Next()
	// A server-side failure is not an answer worth replaying: free the key so a retry runs.
	ctx := context.WithoutCancel(c.Request.Context())
	status := rec.Status()
	if status >= 500 {
		if err := s.Store.ReleaseIdempotencyKey(ctx, scope, key); err != nil {
			s.log(c).Error("release idempotency key", "err", err)
		}
		return
	}
	kept := http.Header{}
	if loc := rec.Header().Get("Location"); loc != "" {
		kept.Set("Location", loc)
	}
	if err := s.Store.CompleteIdempotencyKey(ctx, scope, key, status, kept, rec.body.Bytes()); err != nil {
		s.log(c).Error("store idempotent response", "err", err)
	}
}

// recordingWriter keeps a copy of the response body for idempotent replay.
type recordingWriter struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) WriteString(s string) (int, error) {
	w.body.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}
