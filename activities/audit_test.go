package activities_test

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"shopflow/activities"
	"shopflow/report"
	"shopflow/store"
	"shopflow/store/storetest"
)

// Old records are exported in chunks, each checked against its manifest, then exactly those
// records are removed; young records stay, a second purge of a chunk removes nothing, and the
// purge leaves its own record.
func TestAuditExportThenPurge(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := store.New(storetest.NewPool(t))
	if _, err := st.Pool.Exec(ctx, `INSERT INTO audit_log (created_at, actor_id, actor_role, action, resource_type, resource_id, after)
		SELECT now() - interval '400 days' + g * interval '1 minute', 'acc-' || g, 'admin', 'product.update', 'product', g::text,
		       jsonb_build_object('price_cents', g)
		FROM generate_series(1, 7) g
		UNION ALL SELECT now(), 'acc-new', 'admin', 'product.update', 'product', '99', NULL`); err != nil {
		t.Fatal(err)
	}
	storage := report.Local{Dir: t.TempDir()}
	a := &activities.Audit{Store: st, Storage: storage}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	cutoff := time.Now().Add(-365 * 24 * time.Hour).UTC().Truncate(time.Second)

	var after int64
	var manifests []string
	for {
		v, err := env.ExecuteActivity(a.ExportAuditChunk, activities.ExportAuditChunkInput{Cutoff: cutoff, AfterID: after, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		var exp activities.ExportAuditChunkResult
		if err := v.Get(&exp); err != nil {
			t.Fatal(err)
		}
		if exp.Count == 0 {
			break
		}
		manifests = append(manifests, exp.Manifest)
		after = exp.LastID
	}
	if len(manifests) != 3 {
		t.Fatalf("manifests %v, want 3 chunks of 3, 3 and 1", manifests)
	}
	var exported []store.AuditEntry
	for _, name := range manifests {
		r, err := storage.Open(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		var m activities.AuditManifest
		err = json.NewDecoder(r).Decode(&m)
		r.Close()
		if err != nil || m.Format != activities.AuditExportFormat || m.Cutoff != cutoff {
			t.Fatalf("manifest %s: %+v, %v", name, m, err)
		}
		f, err := storage.Open(ctx, m.Object)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(zr)
		for sc.Scan() {
			var e store.AuditEntry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatal(err)
			}
			exported = append(exported, e)
		}
		f.Close()
	}
	if len(exported) != 7 || exported[0].Actor.AccountID != "acc-1" || exported[6].ResourceID != "7" || string(exported[6].After) != `{"price_cents":7}` {
		t.Fatalf("exported %d records: first %+v last %+v", len(exported), exported[0], exported[len(exported)-1])
	}

	var removed int64
	for _, name := range append(manifests, manifests[0]) { // the first purged twice, as a retry would
		v, err := env.ExecuteActivity(a.PurgeAuditChunk, activities.PurgeAuditChunkInput{Manifest: name, Cutoff: cutoff})
		if err != nil {
			t.Fatal(err)
		}
		var res activities.PurgeAuditChunkResult
		if err := v.Get(&res); err != nil {
			t.Fatal(err)
		}
		removed += res.Removed
	}
	if removed != 7 {
		t.Fatalf("removed %d, want 7", removed)
	}
	var left, purges int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = 'product.update'), count(*) FILTER (WHERE action = 'audit.purge')
		FROM audit_log`).Scan(&left, &purges); err != nil {
		t.Fatal(err)
	}
	if left != 1 || purges != 3 {
		t.Fatalf("%d records left (want the young one), %d purge records (want 3)", left, purges)
	}
}

// A chunk whose file does not match its manifest is never purged.
func TestAuditPurgeRefusesATamperedExport(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := store.New(storetest.NewPool(t))
	if _, err := st.Pool.Exec(ctx, `INSERT INTO audit_log (created_at, action, resource_type) VALUES (now() - interval '2 days', 'x.update', 'x')`); err != nil {
		t.Fatal(err)
	}
	storage := report.Local{Dir: t.TempDir()}
	a := &activities.Audit{Store: st, Storage: storage}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	cutoff := time.Now().Add(-24 * time.Hour)
	v, err := env.ExecuteActivity(a.ExportAuditChunk, activities.ExportAuditChunkInput{Cutoff: cutoff, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var exp activities.ExportAuditChunkResult
	if err := v.Get(&exp); err != nil || exp.Count != 1 {
		t.Fatalf("export %+v, %v", exp, err)
	}
	object, _ := activities.AuditChunkNames(exp.FirstID, exp.LastID)
	if err := storage.Put(ctx, object, gzipOf(t, `{"id": 12345}`+"\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := env.ExecuteActivity(a.PurgeAuditChunk, activities.PurgeAuditChunkInput{Manifest: exp.Manifest, Cutoff: cutoff}); err == nil {
		t.Fatal("purge of a tampered export succeeded")
	}
	var n int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d records (%v), want the one kept", n, err)
	}
}
