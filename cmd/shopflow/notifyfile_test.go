package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/activities"
	"shopflow/notify"
	"shopflow/store"
	"shopflow/store/storetest"
)

// `shopflow notify FILE` submits the file, waits while a worker (here the worker's activity,
// run in a loop beside the command) delivers it, writes every row's result and prints the
// counts; the same file again sends nothing twice.
func TestNotifyCommandDeliversAFileAndWritesResults(t *testing.T) {
	t.Parallel()
	dbURL := storetest.NewDatabase(t)
	env := []string{"SHOPFLOW_DATABASE_URL=" + dbURL, "SHOPFLOW_LOG_LEVEL=error"}
	pool := openTestPool(t, dbURL)
	st := store.New(pool)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var user string
	if err := pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, role) VALUES ('reader@example.com', 'x', 'customer') RETURNING id::text`).Scan(&user); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "news.csv")
	body := "recipient,channel,subject,message\n" +
		user + ",inapp,Hello,First message\n" +
		"reader@example.com,inapp,Hello,Second message\n" +
		user + ",pigeon,Hello,Third message\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}

	// The worker: deliver submitted files as DeliverOutbox's last step does.
	a := &activities.Notify{Store: st, Service: notify.NewService(st, nil, nil, notify.InApp{})}
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for ctx.Err() == nil {
			if _, err := a.DeliverFiles(ctx, activities.DeliverFilesInput{Limit: 5}); err != nil && ctx.Err() == nil {
				t.Errorf("deliver files: %v", err)
				return
			}
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
		}
	})
	defer wg.Wait()
	defer cancel()

	out, err := run(t, env, "", "notify", file)
	if err != nil {
		t.Fatalf("notify: %v\n%s", err, out)
	}
	if !strings.Contains(out, "2 rows to deliver, 1 rejected") || !strings.Contains(out, "2 sent, 0 duplicates, 0 failed, 1 rejected") {
		t.Fatalf("output:\n%s", out)
	}
	got := readResults(t, file+".results.csv")
	want := [][]string{
		{"row", "recipient", "channel", "status", "error"},
		{"1", user, "inapp", "sent", ""},
		{"2", "reader@example.com", "inapp", "sent", ""},
	}
	if len(got) != 4 || strings.Join(got[0], ",") != strings.Join(want[0], ",") || strings.Join(got[1], ",") != strings.Join(want[1], ",") ||
		strings.Join(got[2], ",") != strings.Join(want[2], ",") || got[3][0] != "3" || got[3][3] != "rejected" || !strings.Contains(got[3][4], "pigeon") {
		t.Fatalf("results:\n%v", got)
	}
	inbox, err := st.Inbox(ctx, store.InboxFilter{UserID: user, Limit: 10})
	if err != nil || len(inbox.Items) != 2 {
		t.Fatalf("the reader's inbox: %+v, %v", inbox.Items, err)
	}

	results := filepath.Join(dir, "again.csv")
	out, err = run(t, env, "", "notify", "--results", results, file)
	if err != nil || !strings.Contains(out, "0 sent, 2 duplicates") {
		t.Fatalf("the same file again: %v\n%s", err, out)
	}
	if got := readResults(t, results); len(got) != 4 || got[1][3] != "duplicate" {
		t.Fatalf("results of the resubmission: %v", got)
	}
	if inbox, _ := st.Inbox(ctx, store.InboxFilter{UserID: user, Limit: 10}); len(inbox.Items) != 2 {
		t.Fatalf("the resubmission sent again: %d messages", len(inbox.Items))
	}
}

// Bad invocations fail, saying why, and submit nothing; without a worker the wait ends at
// --timeout with an error that says where the results will be.
func TestNotifyCommandRefusesBadInput(t *testing.T) {
	t.Parallel()
	dbURL := storetest.NewDatabase(t)
	env := []string{"SHOPFLOW_DATABASE_URL=" + dbURL, "SHOPFLOW_LOG_LEVEL=error"}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("ok.ndjson", `{"recipient":"x@example.com","channel":"email","message":"hi"}`+"\n")
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"notify"}, "requires at least 1 arg"},
		{[]string{"notify", "--format", "xml", good}, "--format must be csv or ndjson"},
		{[]string{"notify", write("list.txt", "a,b\n")}, "unknown extension"},
		{[]string{"notify", write("empty.csv", "\n")}, "empty"},
		{[]string{"notify", write("noheader.csv", "who,what\nx,y\n")}, `"recipient" is missing`},
		{[]string{"notify", filepath.Join(dir, "missing.csv")}, "1 of 1 files failed"},
		{[]string{"notify", "--results", "r.csv", good, good}, "--results names one file"},
	} {
		if out, err := run(t, env, "", tc.args...); err == nil || (!strings.Contains(err.Error(), tc.wantErr) && !strings.Contains(out, tc.wantErr)) {
			t.Errorf("shopflow %s: err %v, output %q; want %q", strings.Join(tc.args, " "), err, out, tc.wantErr)
		}
	}
	pool := openTestPool(t, dbURL)
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM notification_files`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d files submitted by refused commands (%v)", n, err)
	}
	out, err := run(t, env, "", "notify", "--timeout", "300ms", "--poll-interval", "50ms", good)
	if err == nil || !strings.Contains(out, "is a worker running?") || !strings.Contains(out, "/api/v1/admin/notifications/files/") {
		t.Fatalf("no worker: err %v\n%s", err, out)
	}
}

func readResults(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func openTestPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
