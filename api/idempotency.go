package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"shopflow/errs"
	"shopflow/store"
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
	hash, err := requestHash(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	scope := mustClaims(c).UserID() + " " + c.Request.Method + " " + c.FullPath()
	policy := store.IdempotencyPolicy{TTL: s.Config.IdempotencyTTL, Lease: idempotencyLease}
	claimed, prev, err := s.Store.ClaimIdempotencyKey(c, scope, key, hash, policy)
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
	ctx := context.WithoutCancel(c.Request.Context())
	release := func() {
		if err := s.Store.ReleaseIdempotencyKey(ctx, scope, key, prev.ClaimedAt); err != nil {
			s.log(c).Error("release idempotency key", "err", err)
		}
	}
	defer func() {
		// A handler that panics has no answer to replay: free the key, then let the recovery
		// middleware answer 500. (A crashed process frees it by the lease instead.)
		if p := recover(); p != nil {
			release()
			panic(p)
		}
	}()
	c.Next()
	// A server-side failure is not an answer worth replaying: free the key so a retry runs.
	status := rec.Status()
	if status >= 500 {
		release()
		return
	}
	kept := http.Header{}
	for _, h := range []string{"Location", "Cache-Control"} {
		if v := rec.Header().Get(h); v != "" {
			kept.Set(h, v)
		}
	}
	if err := s.Store.CompleteIdempotencyKey(ctx, scope, key, prev.ClaimedAt, status, kept, withoutSecret(c, rec.body.Bytes())); err != nil {
		s.log(c).Error("store idempotent response", "err", err)
	}
}

// idempotencyLease is how long a claimed key without a response is held for its request: well
// past the HTTP server's 60 s write timeout, so a live request is never taken over, and short
// enough that a retry after a crash goes through within minutes.
const idempotencyLease = 2 * time.Minute

// requestHash identifies the request a key was first used with. JSON bodies are read and hashed
// whole (they are small); a streamed upload is identified by its size and type instead, so a
// many-gigabyte file is never held in memory (the batch itself is deduplicated by content).
func requestHash(c *gin.Context) (string, error) {
	h := sha256.New()
	h.Write([]byte(c.Request.Method + " " + c.Request.URL.RequestURI() + "\n"))
	if _, streamed := uploadLimits[c.Request.Method+" "+c.FullPath()]; streamed {
		h.Write([]byte(c.GetHeader("Content-Type") + "\n" + strconv.FormatInt(c.Request.ContentLength, 10)))
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return "", bodyReadError(err)
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ctxSecretField names a top-level field of the response that must not be stored for replay
// (a secret shown once, such as a new API key); a replay answers with it empty.
const ctxSecretField = "shopflow.secret_field"

// withoutSecret is the response body to store: with the handler's secret field emptied.
func withoutSecret(c *gin.Context, body []byte) []byte {
	field := c.GetString(ctxSecretField)
	if field == "" {
		return body
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return []byte("{}") // not the JSON the handler promised: store nothing of it
	}
	if _, ok := doc[field]; ok {
		doc[field] = json.RawMessage(`""`)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return []byte("{}")
	}
	return out
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
