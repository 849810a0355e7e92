package api

import (
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	"shopflow/audit"
	"shopflow/auth"
)

// An API key, an admin and a seller are named as the actor of what their request changes,
// with the request's id, client IP and user agent; a customer is not.
func TestAuditActorOfEachPrincipal(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		claims auth.Claims
		want   audit.Actor
		ok     bool
	}{
		{"api key", auth.Claims{Role: "ingest", RegisteredClaims: jwt.RegisteredClaims{Subject: "apikey:k-1"}},
			audit.Actor{Role: "ingest", APIKeyID: "k-1"}, true},
		{"admin", auth.Claims{Role: "admin", RegisteredClaims: jwt.RegisteredClaims{Subject: "u-1"}},
			audit.Actor{Role: "admin", AccountID: "u-1"}, true},
		{"seller", auth.Claims{Role: "seller", SellerID: "s-1", RegisteredClaims: jwt.RegisteredClaims{Subject: "u-2"}},
			audit.Actor{Role: "seller", AccountID: "u-2", SellerID: "s-1"}, true},
		{"customer", auth.Claims{Role: "customer", RegisteredClaims: jwt.RegisteredClaims{Subject: "u-3"}}, audit.Actor{}, false},
	} {
		rec := httptest.NewRecorder()
		ctx, _ := gin.CreateTestContext(rec)
		ctx.Request = httptest.NewRequest("GET", "/", nil)
		ctx.Request.Header.Set("User-Agent", "probe/2")
		ctx.Set(ctxRequestID, "r-1")
		(&Server{}).withAuditActor(ctx, c.claims)
		got, ok := audit.ActorFrom(ctx.Request.Context())
		if c.ok {
			c.want.RequestID, c.want.IP, c.want.UserAgent = "r-1", "192.0.2.1", "probe/2"
		}
		if ok != c.ok || got != c.want {
			t.Errorf("%s: actor %+v (%v), want %+v", c.name, got, ok, c.want)
		}
		if r := requestActor(ctx); r != c.want {
			t.Errorf("%s: requestActor %+v, want %+v", c.name, r, c.want)
		}
	}
}
