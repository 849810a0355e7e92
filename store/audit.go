package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"shopflow/audit"
)

// AuditRecord is one audit record written by Go code rather than by the audit trigger
// (migrations/00022_audit.sql): for work that is not a plain row change, such as an erasure or
// the retention purge. Before and After are encoded as JSON (nil is SQL NULL); they must never
// hold personal data.
type AuditRecord struct {
	Action, ResourceType, ResourceID, SellerID string
	Before, After                              any
}

// SystemRole is the actor role of records written with no actor in ctx: the shop itself.
const SystemRole = "system"

// RecordAudit writes r in tx, for the actor ctx carries (audit.WithActor), or for the system
// when it carries none.
func RecordAudit(ctx context.Context, tx pgx.Tx, r AuditRecord) error {
	actor, ok := audit.ActorFrom(ctx)
	if !ok {
		actor = audit.Actor{Role: SystemRole}
	}
	before, err := auditJSON(r.Before)
	if err != nil {
		return err
	}
	after, err := auditJSON(r.After)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (actor_id, actor_role, actor_seller_id, api_key_id, request_id,
		    ip, user_agent, action, resource_type, resource_id, seller_id, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULLIF($11, '')::uuid, $12, $13)`,
		actor.AccountID, actor.Role, actor.SellerID, actor.APIKeyID, actor.RequestID, actor.IP, actor.UserAgent,
		r.Action, r.ResourceType, r.ResourceID, r.SellerID, before, after)
	if err != nil {
		return fmt.Errorf("record audit %s %s/%s: %w", r.Action, r.ResourceType, r.ResourceID, err)
	}
	return nil
}

// auditJSON encodes v for a jsonb column; nil stays NULL.
func auditJSON(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode audit value: %w", err)
	}
	return b, nil
}

// RecordActorAudit writes r in a transaction of its own when ctx carries an actor, and does
// nothing otherwise: for a person's change that another process carried out (an admin's cancel
// that the checkout saga performed), whose rows were changed without that person in the
// transaction.
func (s *Store) RecordActorAudit(ctx context.Context, r AuditRecord) error {
	if _, ok := audit.ActorFrom(ctx); !ok {
		return nil
	}
	return s.InTx(ctx, func(tx pgx.Tx) error { return RecordAudit(ctx, tx, r) })
}
