package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// ExportSections are the parts of a customer's data export, in archive order; each becomes one
// JSON file of the archive.
var ExportSections = []string{"profile", "addresses", "orders", "reviews", "wishlist", "cart",
	"notifications", "preferences", "returns", "refunds"}

// exportQueries select one section's rows as (cursor, document), ordered by cursor; $1 is the
// user, $2 the cursor after which to start, $3 the page size. Cursors are text that sorts in
// row order (numbers zero-padded).
var exportQueries = map[string]string{
	"profile": `SELECT u.id::text, jsonb_build_object('id', u.id, 'email', u.email, 'name', u.name, 'role', u.role,
			'created_at', u.created_at, 'store_name', s.store_name)
		FROM users u LEFT JOIN sellers s ON s.user_id = u.id WHERE u.id = $1 AND u.id::text > $2 LIMIT $3`,
	// Addresses are kept on the orders they were used for; each distinct one is listed once.
	"addresses": `SELECT md5(shipping_address::text) AS c, shipping_address FROM orders
		WHERE customer_id = $1 AND shipping_address <> '{}' GROUP BY shipping_address
		HAVING md5(shipping_address::text) > $2 ORDER BY c LIMIT $3`,
	"orders": `SELECT o.id::text, to_jsonb(o) - 'request_hash' - 'idempotency_key'
			|| jsonb_build_object(
				'lines', (SELECT coalesce(jsonb_agg(to_jsonb(i) ORDER BY i.line_no), '[]') FROM order_items i WHERE i.order_id = o.id),
				'events', (SELECT coalesce(jsonb_agg(jsonb_build_object('status', e.status, 'note', e.note, 'at', e.created_at) ORDER BY e.id), '[]')
					FROM order_events e WHERE e.order_id = o.id),
				'payments', (SELECT coalesce(jsonb_agg(jsonb_build_object('provider', p.provider, 'status', p.status,
					'amount_cents', p.amount_cents, 'currency', p.currency, 'created_at', p.created_at) ORDER BY p.created_at), '[]')
					FROM payments p WHERE p.order_id = o.id))
		FROM orders o WHERE o.customer_id = $1 AND o.id::text > $2 ORDER BY o.id LIMIT $3`,
	"reviews": `SELECT lpad(r.id::text, 20, '0') AS c, to_jsonb(r) - 'moderated_by' - 'reply_by'
		FROM reviews r WHERE r.customer_id = $1 AND lpad(r.id::text, 20, '0') > $2 ORDER BY c LIMIT $3`,
	"wishlist": `SELECT lpad(wi.product_id::text, 20, '0') AS c, jsonb_build_object('product_id', wi.product_id,
			'name', p.name, 'quantity', wi.quantity, 'added_at', wi.added_at)
		FROM wishlists w JOIN wishlist_items wi ON wi.wishlist_id = w.id JOIN products p ON p.id = wi.product_id
		WHERE w.user_id = $1 AND lpad(wi.product_id::text, 20, '0') > $2 ORDER BY c LIMIT $3`,
	"cart": `SELECT lpad(ci.product_id::text, 20, '0') AS c, jsonb_build_object('product_id', ci.product_id,
			'name', p.name, 'quantity', ci.quantity, 'added_at', ci.added_at)
		FROM carts ct JOIN cart_items ci ON ci.cart_id = ct.id JOIN products p ON p.id = ci.product_id
		WHERE ct.user_id = $1 AND lpad(ci.product_id::text, 20, '0') > $2 ORDER BY c LIMIT $3`,
	"notifications": `SELECT lpad(n.id::text, 20, '0') AS c, jsonb_build_object('channel', n.channel, 'address', n.address,
			'kind', n.kind, 'subject', n.subject, 'body', n.body, 'status', n.status, 'created_at', n.created_at,
			'sent_at', n.sent_at, 'read_at', n.read_at)
		FROM notifications n WHERE n.recipient_id = $1 AND lpad(n.id::text, 20, '0') > $2 ORDER BY c LIMIT $3`,
	"preferences": `SELECT c, doc FROM (
			SELECT 'marketing' AS c, jsonb_build_object('kind', 'marketing', 'promotions', m.promotions,
				'channels', m.channels, 'phone', m.phone, 'updated_at', m.updated_at) AS doc
			FROM marketing_preferences m WHERE m.user_id = $1
			UNION ALL
			SELECT 'notification', jsonb_build_object('kind', 'notification', 'channels', np.channels,
				'email', np.email, 'phone', np.phone, 'updated_at', np.updated_at)
			FROM notification_preferences np JOIN sellers s ON s.id = np.seller_id WHERE s.user_id = $1) x
		WHERE c > $2 ORDER BY c LIMIT $3`,
	"returns": `SELECT r.id::text, to_jsonb(r) || jsonb_build_object('lines',
			(SELECT coalesce(jsonb_agg(to_jsonb(l) ORDER BY l.line_no), '[]') FROM return_lines l WHERE l.return_id = r.id))
		FROM returns r WHERE r.customer_id = $1 AND r.id::text > $2 ORDER BY r.id LIMIT $3`,
	"refunds": `SELECT rf.id::text, to_jsonb(rf) - 'key' FROM refunds rf JOIN orders o ON o.id = rf.order_id
		WHERE o.customer_id = $1 AND rf.id::text > $2 ORDER BY rf.id LIMIT $3`,
}

// ExportPage is one page of one section of a customer's data.
type ExportPage struct {
	Rows []json.RawMessage
	// Last is the cursor of the page's last row, for the next page.
	Last string
}

// ExportSectionPage reads up to limit rows of the user's section after the cursor. A section
// whose table is not in this database (refunds before its migration) is empty.
func (s *Store) ExportSectionPage(ctx context.Context, userID, section, after string, limit int) (ExportPage, error) {
	q, ok := exportQueries[section]
	if !ok {
		return ExportPage{}, fmt.Errorf("export section %q: unknown", section)
	}
	if section == "refunds" {
		var exists bool
		if err := s.Pool.QueryRow(ctx, `SELECT to_regclass('refunds') IS NOT NULL`).Scan(&exists); err != nil || !exists {
			return ExportPage{}, err
		}
	}
	rows, err := s.Pool.Query(ctx, q, userID, after, limit)
	if err != nil {
		return ExportPage{}, fmt.Errorf("export %s of %s: %w", section, userID, err)
	}
	defer rows.Close()
	var p ExportPage
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&p.Last, &doc); err != nil {
			return ExportPage{}, fmt.Errorf("export %s of %s: %w", section, userID, err)
		}
		p.Rows = append(p.Rows, doc)
	}
	if err := rows.Err(); err != nil {
		return ExportPage{}, fmt.Errorf("export %s of %s: %w", section, userID, err)
	}
	return p, nil
}
