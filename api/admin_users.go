package api

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"shopflow/errs"
	"shopflow/store"
)

// listUsers is the admins' list of accounts, filtered by role and status (active, disabled), in
// email order.
func (s *Server) listUsers(c *gin.Context) {
	q, p, err := listQuery(c, "role", "status")
	if err != nil {
		s.fail(c, err)
		return
	}
	f := store.UserFilter{Role: q["role"], Status: q["status"], Limit: p.Limit + 1}
	if v, ok := q["role"]; ok && !isUserRole(v) {
		s.fail(c, badParam("role", "must be customer, seller or admin, got %q", v))
		return
	}
	if v, ok := q["status"]; ok && v != "active" && v != "disabled" {
		s.fail(c, badParam("status", "must be active or disabled, got %q", v))
		return
	}
	scope := "users:" + f.Role + ":" + f.Status + "@"
	if p.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		after, ok := strings.CutPrefix(string(raw), scope)
		if err != nil || !ok || after == "" {
			s.fail(c, badParam("cursor", "is not a cursor this list gave out"))
			return
		}
		f.AfterEmail = after
	}
	users, err := s.Store.ListUsers(c, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	var next *string
	if len(users) > p.Limit {
		users = users[:p.Limit]
		cur := base64.RawURLEncoding.EncodeToString([]byte(scope + strings.ToLower(users[len(users)-1].Email)))
		next = &cur
	}
	c.JSON(http.StatusOK, listOf(users, next))
}

func isUserRole(role string) bool {
	return role == store.RoleCustomer || role == store.RoleSeller || role == store.RoleAdmin
}

type userUpdateRequest struct {
	Role string `json:"role" binding:"required,oneof=customer seller admin"`
}

// updateUser changes an account's role. A change revokes the account's tokens, and the
// authenticate middleware reads roles from the database (through a cache this forgets the
// account in), so it applies from the next request.
func (s *Server) updateUser(c *gin.Context) {
	id, ok := s.otherUser(c)
	if !ok {
		return
	}
	var req userUpdateRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.Store.SetUserRole(c, id, req.Role)
	s.principals.forgetUser(id) // even on an error: the change may have been committed
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

// disableUser disables an account: it can no longer log in or refresh, and its tokens are
// refused from the next request on. Disabling a disabled account changes nothing.
func (s *Server) disableUser(c *gin.Context) { s.setUserDisabled(c, true) }

// enableUser re-enables a disabled account; the user logs in again to get tokens.
func (s *Server) enableUser(c *gin.Context) { s.setUserDisabled(c, false) }

func (s *Server) setUserDisabled(c *gin.Context, disabled bool) {
	id, ok := s.otherUser(c)
	if !ok {
		return
	}
	u, err := s.Store.SetUserDisabled(c, id, disabled)
	s.principals.forgetUser(id) // even on an error: the change may have been committed
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

// otherUser reads the {id} of an account an admin manages. An admin may not demote or disable
// themself: the last admin doing so would leave the shop without one.
func (s *Server) otherUser(c *gin.Context) (string, bool) {
	id, err := pathUUID(c, "id", "a user")
	if err != nil {
		s.fail(c, err)
		return "", false
	}
	if id == mustClaims(c).UserID() {
		s.fail(c, errs.E(errs.Conflict, "admins cannot change their own role or disable their own account; ask another admin"))
		return "", false
	}
	return id, true
}
