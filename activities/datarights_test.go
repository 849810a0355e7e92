package activities_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/testsuite"

	"shopflow/activities"
	"shopflow/report"
	"shopflow/store"
	"shopflow/store/storetest"
)

// BuildExport pages through the customer's data (a page smaller than the data) into a zip with
// a manifest; FinishExport links it once; the erasure's export step deletes the archive and its
// Redis step only the customer's keys.
func TestDataRightsActivities(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	cust, err := st.CreateUser(ctx, store.NewUser{Email: "Ann[1]@example.com", PasswordHash: "x", Name: "Ann", Role: store.RoleCustomer})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `INSERT INTO orders (customer_id, status, currency, total_cents, shipping_address)
		SELECT $1, 'delivered', 'USD', 0, jsonb_build_object('n', g) FROM generate_series(1, 7) g`, cust.ID); err != nil {
		t.Fatal(err)
	}
	exp, err := st.CreateDataExport(ctx, cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	redisURL := os.Getenv("SHOPFLOW_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	ropts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(ropts)
	t.Cleanup(func() { rdb.Close() })
	prefix := "test:dr" + time.Now().Format("150405.000000") + ":"
	files := report.Local{Dir: t.TempDir()}
	a := &activities.DataRights{Store: st, Files: files, Redis: rdb, RedisPrefix: prefix, PublicURL: "https://shop.example/", PageSize: 3}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)

	v, err := env.ExecuteActivity(a.BuildExport, activities.BuildExportInput{ExportID: exp.ID})
	if err != nil {
		t.Fatal(err)
	}
	var built activities.BuildExportResult
	if err := v.Get(&built); err != nil || built.Counts["orders"] != 7 || built.Counts["addresses"] != 7 || built.Counts["profile"] != 1 {
		t.Fatalf("built %+v, %v", built, err)
	}
	f, err := files.Open(ctx, built.StorageKey)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(f)
	f.Close()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != len(store.ExportSections)+1 {
		t.Fatalf("%d files in the archive, want %d", len(zr.File), len(store.ExportSections)+1)
	}
	for _, zf := range zr.File {
		r, _ := zf.Open()
		var doc any
		if err := json.NewDecoder(r).Decode(&doc); err != nil {
			t.Errorf("%s is not JSON: %v", zf.Name, err)
		}
		r.Close()
	}

	in := activities.FinishExportInput{ExportID: exp.ID, StorageKey: built.StorageKey, Counts: built.Counts, Rows: built.Rows, LinkTTL: time.Hour}
	for i, want := range []bool{true, false} {
		v, err := env.ExecuteActivity(a.FinishExport, in)
		var res activities.FinishExportResult
		if err != nil || v.Get(&res) != nil || res.Made != want {
			t.Fatalf("finish %d: %+v, %v; want made %v", i, res, err, want)
		}
	}
	var link string
	if err := st.Pool.QueryRow(ctx, `SELECT payload->>'url' FROM notification_outbox WHERE key = $1`, "export:"+exp.ID).Scan(&link); err != nil ||
		len(link) < 40 || link[:len("https://shop.example/api/v1/users/me/exports/")] != "https://shop.example/api/v1/users/me/exports/" {
		t.Fatalf("link %q, %v", link, err)
	}

	mine := []string{"rate:" + prefix + "rate:writes:account:" + cust.ID, "rate:" + prefix + "login:account:ann[1]@example.com"}
	others := []string{"rate:" + prefix + "rate:writes:account:someone-else", "rate:" + prefix + "login:account:ann1@example.com"}
	for _, k := range append(mine, others...) {
		if err := rdb.Set(ctx, k, "1", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rdb.Del(context.Background(), k) })
	}
	if _, err := st.StartErasure(ctx, cust.ID, cust.ID); err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{store.EraseExports, store.EraseRedis} {
		v, err := env.ExecuteActivity(a.EraseStep, activities.EraseStepInput{UserID: cust.ID, Step: step})
		var res activities.EraseStepResult
		if err != nil || v.Get(&res) != nil || res.Count < 1 || res.Skipped {
			t.Fatalf("step %s: %+v, %v", step, res, err)
		}
		v, err = env.ExecuteActivity(a.EraseStep, activities.EraseStepInput{UserID: cust.ID, Step: step})
		if err != nil || v.Get(&res) != nil || !res.Skipped {
			t.Fatalf("step %s again: %+v, %v; want skipped", step, res, err)
		}
	}
	if _, err := files.Open(ctx, built.StorageKey); !errors.Is(err, report.ErrNotFound) {
		t.Errorf("archive after erasure: %v, want not found", err)
	}
	for _, k := range mine {
		if n, _ := rdb.Exists(ctx, k).Result(); n != 0 {
			t.Errorf("key %s survived", k)
		}
	}
	for _, k := range others {
		if n, _ := rdb.Exists(ctx, k).Result(); n != 1 {
			t.Errorf("key %s of someone else was deleted", k)
		}
	}
}
