package worker

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"shopflow/store"
	"shopflow/store/storetest"
	"shopflow/workflows"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

// Outbox items announced after their commit signal the push drain of the task queue (started
// if need be), with no Schedule involved; after the listening connection is killed, the
// listener comes back, catches up, and pushes the next items too; a submitted notification
// file is pushed the same way. (Folding a burst into one signal saves Temporal work; it is not
// asserted here, since showing that no second signal comes would take a wait.)
func TestOutboxPushSignalsTheDrainOnCommit(t *testing.T) {
	pool := storetest.NewPool(t)
	st := store.New(pool)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var userID string
	if err := pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, role) VALUES ('c@example.com', 'x', 'customer') RETURNING id::text`).Scan(&userID); err != nil {
		t.Fatal(err)
	}

	signals := make(chan string, 100)
	tc := &mocks.Client{}
	tc.On("SignalWithStartWorkflow", mock.Anything, "notification-outbox-push-q1", workflows.DeliverOutboxSignal, nil,
		mock.MatchedBy(func(o client.StartWorkflowOptions) bool {
			return o.ID == "notification-outbox-push-q1" && o.TaskQueue == "q1"
		}),
		workflows.DeliverOutboxWorkflowName, workflows.DeliverOutboxInput{}).
		Run(func(args mock.Arguments) { signals <- args.String(1) }).Return(nil, nil)
	ready := make(chan struct{}, 10)
	p := &OutboxPush{Pool: pool, Client: tc, TaskQueue: "q1", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Coalesce: 300 * time.Millisecond, Retry: 10 * time.Millisecond, ready: func() { ready <- struct{}{} }}
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(ctx) })
	defer wg.Wait()
	defer cancel()

	queue := func(n int, prefix string) {
		t.Helper()
		// As the store queues them: inserted in a transaction, announced after its commit.
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if _, err := tx.Exec(ctx, `INSERT INTO notification_outbox (key, recipient_id, kind) VALUES ($1, $2, 'order_placed')`,
				prefix+string(rune('a'+i)), userID); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		st.AnnounceOutbox(ctx)
	}
	waitSignal := func(what string) {
		t.Helper()
		select {
		case <-signals:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: no signal", what)
		}
	}

	<-ready
	waitSignal("catching up when it starts listening")
	queue(10, "first-")
	waitSignal("after the first commit")

	// Kill the listening connection: the listener reconnects and keeps pushing.
	if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%'`); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("the listener did not come back after its connection was killed")
	}
	waitSignal("catching up after reconnecting")
	queue(1, "second-")
	waitSignal("after the listener came back")

	// A submitted notification file is pushed the same way.
	if _, err := st.CreateNotificationFile(ctx, "abc", "csv", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	waitSignal("after a notification file was submitted")
}
