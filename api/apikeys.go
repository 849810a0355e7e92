package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"shopflow/store"
)

type createAPIKeyRequest struct {
	Name string `json:"name" binding:"required,min=1,max=100"`
	// Role defaults to ingest, the only role a key can have for now.
	Role string `json:"role" binding:"omitempty,oneof=ingest"`
}

// apiKeyCreated is a new key with its plaintext, which is shown this once and never again.
type apiKeyCreated struct {
	store.APIKey
	Key string `json:"key"`
}

// createAPIKey makes an API key for a machine client. There is no Idempotency-Key replay here
// on purpose: a replay would have to store the plaintext key.
func (s *Server) createAPIKey(c *gin.Context) {
	var req createAPIKeyRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" {
		s.fail(c, fieldInvalid("name", "is required"))
		return
	}
	if req.Role == "" {
		req.Role = store.RoleIngest
	}
	k, key, err := s.Store.CreateAPIKey(c, req.Name, req.Role)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.log(c).InfoContext(c, "api key created", "api_key_id", k.ID, "name", k.Name, "role", k.Role, "by", mustClaims(c).Subject)
	c.Header("Cache-Control", "no-store")
	// The secret is shown once and kept nowhere: an idempotent replay answers without it.
	c.Set(ctxSecretField, "key")
	c.JSON(http.StatusCreated, apiKeyCreated{APIKey: k, Key: key})
}

// revokeAPIKey stops a key from working, from its next request on. Revoking a revoked key is
// a no-op.
func (s *Server) revokeAPIKey(c *gin.Context) {
	id, err := pathUUID(c, "id", "an API key")
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Store.RevokeAPIKey(c, id); err != nil {
		s.fail(c, err)
		return
	}
	s.log(c).InfoContext(c, "api key revoked", "api_key_id", id, "by", mustClaims(c).Subject)
	c.Status(http.StatusNoContent)
}
