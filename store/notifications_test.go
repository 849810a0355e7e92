package store_test

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"shopflow/errs"
	"shopflow/store"
	"shopflow/store/storetest"
)

func TestNotificationKeyIsClaimedOnce(t *testing.T) {
	t.Parallel()
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	n := store.NewNotification{Key: "u:k:p:email", Address: "a@example.com", Channel: "email", Kind: "k", Body: "first"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	inserted, started := 0, 0
	for range 10 {
		wg.Go(func() {
			row, ins, err := st.RecordNotification(ctx, n)
			if err != nil {
				t.Error(err)
				return
			}
			ok, err := st.StartNotificationAttempt(ctx, row.ID)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if ins {
				inserted++
			}
			if ok {
				started++
			}
		})
	}
	wg.Wait()
	if inserted != 1 || started != 1 {
		t.Fatalf("%d inserts and %d starts, want 1 and 1", inserted, started)
	}
	// A later record with other content keeps the first.
	n.Body = "second"
	row, ins, err := st.RecordNotification(ctx, n)
	if err != nil || ins || row.Body != "first" || row.Status != store.NotificationSending {
		t.Fatalf("re-record: %+v %v %v", row, ins, err)
	}
}

func TestNotificationPreferencesAndInboxScope(t *testing.T) {
	t.Parallel()
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	var uid, other, sid string
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.Pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, role) VALUES ('s@example.com', 'x', 'seller') RETURNING id::text`).Scan(&uid))
	must(st.Pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, role) VALUES ('o@example.com', 'x', 'customer') RETURNING id::text`).Scan(&other))
	must(st.Pool.QueryRow(ctx, `INSERT INTO sellers (user_id, store_name) VALUES ($1, 'S') RETURNING id::text`, uid).Scan(&sid))

	p, err := st.NotificationPreferences(ctx, sid)
	if err != nil || len(p.Channels) != 1 || p.Channels[0] != "inapp" || p.UpdatedAt != nil {
		t.Fatalf("defaults: %+v, %v", p, err)
	}
	if _, err := st.PutNotificationPreferences(ctx, sid, store.NotificationPreferences{Channels: []string{"sms"}, Phone: "0800"}); err == nil {
		t.Fatal("a non-E.164 phone was stored")
	}
	c, err := st.ContactOf(ctx, "S@Example.com")
	if err != nil || c.UserID != uid || c.SellerID != sid {
		t.Fatalf("contact by email: %+v, %v", c, err)
	}

	var id int64
	must(st.Pool.QueryRow(ctx, `INSERT INTO notifications (idempotency_key, recipient_id, channel, kind, status)
		VALUES ('k1', $1, 'inapp', 'x', 'sent') RETURNING id`, uid).Scan(&id))
	if _, err := st.MarkNotificationRead(ctx, other, id); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another user's read: %v, want not found", err)
	}
	page, err := st.Inbox(ctx, store.InboxFilter{UserID: uid, Limit: 1})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("inbox: %+v %v", page, err)
	}
	if _, err := st.Inbox(ctx, store.InboxFilter{UserID: uid, Limit: 1, UnreadOnly: true, Cursor: "ZmFsc2U6OTk"}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("a cursor from the full list on the unread list: %v, want invalid", err)
	}
}

// TestNotificationInlineImagesRoundTrip proves inline images are stored with the message and
// read back byte for byte, and that a later record under the same key keeps the first images.
func TestNotificationInlineImagesRoundTrip(t *testing.T) {
	t.Parallel()
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	chart := store.NotificationImage{ContentID: "digest-chart-2026-11-20@shopflow", ContentType: "image/png",
		Filename: "sales-2026-11-20.png", Data: []byte("\x89PNG\r\n\x1a\n\x00\xff binary")}
	n := store.NewNotification{Key: "u:seller_digest:2026-11-20:email", Address: "a@example.com", Channel: "email",
		Kind: "seller_digest", Body: "text", HTML: `<img src="cid:digest-chart-2026-11-20@shopflow">`,
		Inline: []store.NotificationImage{chart}}
	row, ins, err := st.RecordNotification(ctx, n)
	if err != nil || !ins {
		t.Fatalf("record: %v, inserted %v", err, ins)
	}
	if len(row.Inline) != 1 || !reflect.DeepEqual(row.Inline[0], chart) {
		t.Fatalf("returned images %+v, want %+v", row.Inline, chart)
	}

	n.Inline = []store.NotificationImage{{ContentID: "other@x", ContentType: "image/gif", Data: []byte("GIF89a")}}
	again, ins, err := st.RecordNotification(ctx, n)
	if err != nil || ins || len(again.Inline) != 1 || !reflect.DeepEqual(again.Inline[0], chart) {
		t.Fatalf("re-record: %+v, inserted %v, %v; want the first images kept", again.Inline, ins, err)
	}

	plain, _, err := st.RecordNotification(ctx, store.NewNotification{Key: "u:k:p:sms", Address: "+14155550100",
		Channel: "sms", Kind: "k", Body: "no images"})
	if err != nil || len(plain.Inline) != 0 {
		t.Fatalf("a message without images: %+v, %v", plain.Inline, err)
	}
	var stored string
	if err := st.Pool.QueryRow(ctx, `SELECT inline_images::text FROM notifications WHERE id = $1`, plain.ID).Scan(&stored); err != nil || stored != "[]" {
		t.Fatalf("stored %q (%v), want an empty array, not null", stored, err)
	}
}
