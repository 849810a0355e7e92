package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Notice is a notification written in full by the code that queues it (returns, refunds,
// cancellations, data exports), so delivery needs no template of its own.
type Notice struct {
	// Key makes queueing idempotent: the same key is queued once.
	Key         string
	RecipientID string
	// Kind names the event; kinds starting with "seller_" go out on the seller's preferred
	// channels, all others in-app and by email.
	Kind    string
	Subject string
	Text    string
	// Data is extra machine-readable payload (ids, amounts) for in-app clients.
	Data map[string]any
}

// SellerNoticeKind reports whether a notice kind goes to a seller on its preferred channels.
func SellerNoticeKind(kind string) bool { return strings.HasPrefix(kind, "seller_") }

// QueueNotice queues a notice in the caller's transaction, once per key.
func QueueNotice(ctx context.Context, tx pgx.Tx, n Notice) error {
	payload := map[string]any{}
	for k, v := range n.Data {
		payload[k] = v
	}
	payload["subject"], payload["text"] = n.Subject, n.Text
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode notice %s: %w", n.Key, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO notification_outbox (key, recipient_id, kind, payload)
		VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING`, n.Key, n.RecipientID, n.Kind, b)
	if err != nil {
		return fmt.Errorf("queue notice %s: %w", n.Key, err)
	}
	return nil
}
