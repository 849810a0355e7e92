// Package audit names who changes the shop: the actor an audit record is written for. Records
// themselves are written by the database (migrations/00022_audit.sql), in the transaction of the
// change, from the actor the store puts into that transaction's settings (store.InTx).
package audit

import "context"

// Actor is who made a change: an account (with its role and, for sellers, its store) or an API
// key, and the request it came in.
type Actor struct {
	AccountID string `json:"account_id,omitempty"`
	Role      string `json:"role,omitempty"`
	SellerID  string `json:"seller_id,omitempty"`
	APIKeyID  string `json:"api_key_id,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
}

// IsZero reports whether no actor is named: changes made by the system itself are not audited.
func (a Actor) IsZero() bool { return a.AccountID == "" && a.APIKeyID == "" }

type actorKey struct{}

// WithActor returns ctx carrying the actor whose changes the store should audit.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries, if any.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok && !a.IsZero()
}
