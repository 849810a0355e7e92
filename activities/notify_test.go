package activities_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"shopflow/activities"
	"shopflow/notify"
	"shopflow/store"
	"shopflow/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

// fakeChannel records what it was asked to send.
type fakeChannel struct {
	name string
	mu   sync.Mutex
	sent []notify.Message
}

func (f *fakeChannel) Name() string { return f.name }

func (f *fakeChannel) Send(_ context.Context, m notify.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m.To == "+15005550001" {
		return notify.Permanent(21211, context.Canceled)
	}
	f.sent = append(f.sent, m)
	return nil
}

func (f *fakeChannel) to(addr string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, m := range f.sent {
		if m.To == addr {
			n++
		}
	}
	return n
}

type fixture struct {
	st                   *store.Store
	a                    *activities.Notify
	email, sms           *fakeChannel
	customer, sellerUser string
	sellerID             string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	st := store.New(storetest.NewPool(t))
	ctx := context.Background()
	f := fixture{st: st, email: &fakeChannel{name: "email"}, sms: &fakeChannel{name: "sms"}}
	svc := notify.NewService(st, nil, nil, notify.InApp{}, f.email, f.sms)
	f.a = &activities.Notify{Store: st, Service: svc, Logger: svc.Logger}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.Pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, role) VALUES ('buyer@example.com', 'x', 'customer') RETURNING id::text`).Scan(&f.customer))
	must(st.Pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, role) VALUES ('seller@example.com', 'x', 'seller') RETURNING id::text`).Scan(&f.sellerUser))
	must(st.Pool.QueryRow(ctx, `INSERT INTO sellers (user_id, store_name) VALUES ($1, 'Shop') RETURNING id::text`, f.sellerUser).Scan(&f.sellerID))
	_, err := st.PutNotificationPreferences(ctx, f.sellerID, store.NotificationPreferences{
		Channels: []string{"email", "sms", "inapp"}, Email: "alerts@shop.example", Phone: "+14155552671"})
	must(err)
	return f
}

func TestDeliverOutboxSendsEachItemOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.st.Pool.Exec(ctx, `INSERT INTO notification_outbox (key, recipient_id, kind, payload) VALUES
		($1 || ':order_placed:o1', $1::uuid, 'order_placed', '{"order_id":"o1","total_cents":1250,"currency":"EUR"}'),
		($1 || ':order_shipped:o1', $1::uuid, 'order_shipped', '{"order_id":"o1"}'),
		($2 || ':low_stock:7:0', $2::uuid, 'low_stock', '{"product_id":7,"name":"Mug","available":2,"threshold":5}')`,
		f.customer, f.sellerUser)
	if err != nil {
		t.Fatal(err)
	}
	for run := range 2 { // the second run, like a rerun of the schedule, finds nothing queued
		res, err := f.a.DeliverOutbox(ctx, activities.DeliverOutboxInput{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if run == 0 && (res.Items != 2 || res.Sent != 2) {
			t.Fatalf("first batch: %+v", res)
		}
		res, err = f.a.DeliverOutbox(ctx, activities.DeliverOutboxInput{AfterID: res.LastID, Limit: 2})
		if err != nil || (run == 0 && res.Sent != 1) {
			t.Fatalf("second batch: %+v, %v", res, err)
		}
	}
	if f.email.to("buyer@example.com") != 2 || f.email.to("alerts@shop.example") != 1 || f.sms.to("+14155552671") != 1 {
		t.Fatalf("emails %+v, sms %+v", f.email.sent, f.sms.sent)
	}
	var queued int
	_ = f.st.Pool.QueryRow(ctx, `SELECT count(*) FROM notification_outbox WHERE status <> 'sent'`).Scan(&queued)
	if queued != 0 {
		t.Fatalf("%d outbox items not sent", queued)
	}
	// A retried activity over the same items (as if marking them sent had failed) sends nothing.
	_, _ = f.st.Pool.Exec(ctx, `UPDATE notification_outbox SET status = 'queued'`)
	if _, err := f.a.DeliverOutbox(ctx, activities.DeliverOutboxInput{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if len(f.email.sent) != 3 || len(f.sms.sent) != 1 {
		t.Fatalf("retried delivery sent again: %d emails, %d sms", len(f.email.sent), len(f.sms.sent))
	}
	inbox, _ := f.st.Inbox(ctx, store.InboxFilter{UserID: f.customer, Limit: 10})
	if len(inbox.Items) != 2 || inbox.Items[0].Kind != "order_shipped" {
		t.Fatalf("customer inbox: %+v", inbox.Items)
	}
}

func TestDeliverFilesReportsEveryRow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	csv := "recipient,channel,message\n" +
		f.customer + ",inapp,Hello in-app\n" + // 1 sent
		"buyer@example.com,email,Hello by email\n" + // 2 sent, to the account email
		"stranger@example.org,email,Hello stranger\n" + // 3 sent to the bare address
		"seller@example.com,sms,Hello by sms\n" + // 4 sent to the seller's phone
		"buyer@example.com,sms,No phone\n" + // 5 rejected: no phone
		"nobody-such,inapp,Who?\n" + // 6 rejected: no such user
		"buyer@example.com,fax,Beep\n" + // 7 rejected: bad channel
		"buyer@example.com,email,\n" // 8 rejected: no message
	submit := func() store.NotificationFile {
		rows, bad, err := notify.ParseFile(notify.FormatCSV, []byte(csv))
		if err != nil {
			t.Fatal(err)
		}
		id, err := f.st.CreateNotificationFile(ctx, "abcdef0123456789abcdef", notify.FormatCSV, "", rows, bad)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.a.DeliverFiles(ctx, activities.DeliverFilesInput{Limit: 5}); err != nil {
			t.Fatal(err)
		}
		file, err := f.st.NotificationFileByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return file
	}
	file := submit()
	want := []string{"sent", "sent", "sent", "sent", "rejected", "rejected", "rejected", "rejected"}
	if file.Status != "done" || len(file.Results) != len(want) {
		t.Fatalf("file: %+v", file)
	}
	for i, r := range file.Results {
		if r.Row != i+1 || r.Status != want[i] {
			t.Errorf("row %d: %+v, want %s", i+1, r, want[i])
		}
	}
	if file.Sent != 4 || file.Rejected != 4 {
		t.Errorf("counts: sent %d rejected %d", file.Sent, file.Rejected)
	}
	if f.email.to("stranger@example.org") != 1 || f.sms.to("+14155552671") != 1 || f.email.to("buyer@example.com") != 1 {
		t.Fatalf("emails %+v sms %+v", f.email.sent, f.sms.sent)
	}
	// The same file submitted again sends nothing more: every good row is a duplicate.
	again := submit()
	if again.Duplicates != 4 || again.Sent != 0 || len(f.email.sent) != 2 || len(f.sms.sent) != 1 {
		t.Fatalf("resubmission: %+v; emails %d sms %d", again, len(f.email.sent), len(f.sms.sent))
	}
}

// blockingChannel holds every send until released, and says when the first one arrived.
type blockingChannel struct {
	*fakeChannel
	entered chan struct{}
	once    sync.Once
	release chan struct{}
}

func (c *blockingChannel) Send(ctx context.Context, m notify.Message) error {
	c.once.Do(func() { close(c.entered) })
	select {
	case <-c.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return c.fakeChannel.Send(ctx, m)
}

// Two drains at once (the pushed one and the Schedule's) take turns: the second waits on the
// drain lock while the first is inside a send, then finds nothing left; every item is sent
// once and none is called failed.
func TestDeliverOutboxDrainsTakeTurns(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.st.Pool.Exec(ctx, `INSERT INTO notification_outbox (key, recipient_id, kind, payload) VALUES
		($1 || ':order_placed:o8', $1::uuid, 'order_placed', '{"order_id":"o8"}'),
		($1 || ':order_placed:o9', $1::uuid, 'order_placed', '{"order_id":"o9"}')`, f.customer); err != nil {
		t.Fatal(err)
	}
	email := &blockingChannel{fakeChannel: f.email, entered: make(chan struct{}), release: make(chan struct{})}
	f.a.Service.Channels["email"] = email
	results := make(chan activities.DeliverOutboxResult, 2)
	errs := make(chan error, 2)
	drain := func() {
		res, err := f.a.DeliverOutbox(ctx, activities.DeliverOutboxInput{Limit: 10})
		results <- res
		errs <- err
	}
	go drain()
	<-email.entered // the first drain is inside a send, holding the lock
	go drain()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		if err := f.st.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second drain never waited for the first")
		}
	}
	close(email.release)
	var items, sent, failed int
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		r := <-results
		items, sent, failed = items+r.Items, sent+r.Sent, failed+r.Failed
	}
	if items != 2 || sent != 2 || failed != 0 {
		t.Fatalf("the two drains handled %d items, sent %d, failed %d; want 2 items sent by the first", items, sent, failed)
	}
	if f.email.to("buyer@example.com") != 2 {
		t.Fatalf("%d emails, want one per item", f.email.to("buyer@example.com"))
	}
}
