package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"shopflow/audit"
	"shopflow/store"
)

// auditRows returns the audit records of one resource, oldest first.
func auditRows(t *testing.T, st *store.Store, resourceType, resourceID string) []store.AuditEntry {
	t.Helper()
	page, err := st.ListAudit(context.Background(), store.AuditFilter{ResourceType: resourceType, ResourceID: resourceID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := page.Items
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func jsonEq(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("record value %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("record value %s, want %s", gb, wb)
	}
}

// A change made for an actor writes one record with the changed columns only, the actor and
// the product's store; the same change without an actor writes none; a no-op writes none.
func TestAuditTriggerRecordsActorChanges(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	actor := audit.Actor{AccountID: "11111111-1111-1111-1111-111111111111", Role: store.RoleSeller, SellerID: f.sellerA,
		RequestID: "req-1", IP: "203.0.113.9", UserAgent: "test/1"}
	actx := audit.WithActor(ctx, actor)
	p, err := f.st.CreateProduct(actx, store.NewProduct{SellerID: f.sellerA, CategoryID: f.category, Name: "Lamp",
		PriceCents: 1000, Currency: "USD", OnHand: 3})
	if err != nil {
		t.Fatal(err)
	}
	id := jsonID(p.ID)
	if recs := auditRows(t, f.st, "product", id); len(recs) != 1 || recs[0].Action != "product.create" || recs[0].Before != nil {
		t.Fatalf("create records %+v", recs)
	}
	price := int64(1250)
	if _, err := f.st.UpdateProduct(actx, p.ID, store.ProductUpdate{PriceCents: &price}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.UpdateProduct(actx, p.ID, store.ProductUpdate{PriceCents: &price}); err != nil {
		t.Fatal(err) // the same price again: nothing changes, nothing is recorded
	}
	other := int64(1300)
	if _, err := f.st.UpdateProduct(ctx, p.ID, store.ProductUpdate{PriceCents: &other}); err != nil {
		t.Fatal(err) // no actor: the shop itself, not recorded
	}
	recs := auditRows(t, f.st, "product", id)
	if len(recs) != 2 {
		t.Fatalf("%d product records, want 2: %+v", len(recs), recs)
	}
	u := recs[1]
	if u.Action != "product.update" || u.Actor != actor || u.SellerID == nil || *u.SellerID != f.sellerA {
		t.Fatalf("update record %+v", u)
	}
	jsonEq(t, u.Before, `{"price_cents": 1000}`)
	jsonEq(t, u.After, `{"price_cents": 1250}`)

	// An admin's role change is recorded without the account's personal columns.
	admin := audit.WithActor(ctx, audit.Actor{AccountID: "22222222-2222-2222-2222-222222222222", Role: store.RoleAdmin})
	if _, err := f.st.SetUserRole(admin, f.customer, store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	recs = auditRows(t, f.st, "user", f.customer)
	if len(recs) != 1 {
		t.Fatalf("%d user records, want 1", len(recs))
	}
	jsonEq(t, recs[0].Before, `{"role": "customer", "token_version": 0}`)
	jsonEq(t, recs[0].After, `{"role": "admin", "token_version": 1}`)
}

func jsonID(id int64) string { b, _ := json.Marshal(id); return string(b) }

// The application's role may add and read records but never change or delete one, and even
// the owner's update is refused; only audit_purge removes records, and only old ones.
func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	err := f.st.InTx(ctx, func(tx pgx.Tx) error {
		return store.RecordAudit(ctx, tx, store.AuditRecord{Action: "test.thing", ResourceType: "thing", ResourceID: "1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	asApp := func(sql string) error {
		return pgx.BeginFunc(ctx, f.st.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL ROLE shopflow_app`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, sql)
			return err
		})
	}
	for _, sql := range []string{`UPDATE audit_log SET action = 'x'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		var pgErr *pgconn.PgError
		if err := asApp(sql); !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("as shopflow_app, %s: %v, want a permission error (42501)", sql, err)
		}
	}
	if err := asApp(`SELECT count(*) FROM audit_log`); err != nil {
		t.Errorf("as shopflow_app, read: %v", err)
	}
	if err := asApp(`UPDATE products SET name = name WHERE false`); err != nil {
		t.Errorf("as shopflow_app, write a table: %v", err)
	}
	for _, sql := range []string{`UPDATE audit_log SET action = 'x'`, `DELETE FROM audit_log`} {
		if _, err := f.st.Pool.Exec(ctx, sql); err == nil {
			t.Errorf("as owner, %s succeeded; the trigger must refuse it", sql)
		}
	}
	var ids []int64
	if err := f.st.Pool.QueryRow(ctx, `SELECT array_agg(id) FROM audit_log`).Scan(&ids); err != nil {
		t.Fatal(err)
	}
	// A record younger than the cutoff stays.
	if n, err := f.st.PurgeAudit(ctx, ids, time.Now().Add(-time.Hour), "x"); err != nil || n != 0 {
		t.Fatalf("purge of young records: %d, %v", n, err)
	}
	if err := asApp(`SELECT audit_purge(ARRAY[1]::bigint[], now() + interval '1 day')`); err == nil {
		t.Error("purge with a future cutoff succeeded")
	}
}

// Every audited table carries the audit trigger, with its WHEN clause.
func TestAuditTriggersOnEveryAuditedTable(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 2)
	rows, err := f.st.Pool.Query(context.Background(), `SELECT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
		WHERE g.tgname = c.relname || '_audit' AND pg_get_triggerdef(g.oid) LIKE '%shopflow.actor%' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"api_keys", "cancellations", "categories", "inventory", "order_items", "orders", "products", "promotions", "refunds",
		"return_lines", "returns", "reviews", "shipping_methods", "shipping_zone_countries", "shipping_zones", "tax_rates", "users"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("audited tables %v, want %v", got, want)
	}
}
