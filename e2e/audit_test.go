package e2e

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"shopflow/activities"
	"shopflow/store"
	"shopflow/workflows"
)

// TestAuditRetentionExportsThenRemovesOldRecords runs the retention workflow on the dev server:
// records older than the retention are exported to report storage in chunks, each file holding
// exactly the records its manifest names, and only then removed; a fresh record made through
// the API stays. With -record-histories it records the run for workflows/replay_test.go.
func TestAuditRetentionExportsThenRemovesOldRecords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := e.newAdmin()
	e.mustSend(request{method: "POST", path: "/api/v1/categories", token: admin.Token,
		body: map[string]string{"name": "Audit " + randHex(4)}}, nil, http.StatusCreated)
	if _, err := e.db.Exec(ctx, `INSERT INTO audit_log (created_at, actor_id, actor_role, action, resource_type, resource_id, before, after)
		SELECT now() - interval '400 days' + g * interval '1 hour', 'old-admin', 'admin', 'product.update', 'product', g::text,
		       jsonb_build_object('price_cents', g), jsonb_build_object('price_cents', g + 1)
		FROM generate_series(1, 5) g`); err != nil {
		t.Fatal(err)
	}

	run, err := e.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.AuditRetentionScheduleID + "-" + randHex(4),
		TaskQueue: e.cfg.BatchTaskQueue}, workflows.AuditRetentionWorkflowName,
		workflows.AuditRetentionInput{Retention: e.cfg.AuditRetention, ChunkSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.AuditRetentionResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Chunks != 3 || res.Exported != 5 || res.Purged != 5 {
		t.Fatalf("retention %+v, want 3 chunks exporting and removing 5 records", res)
	}

	var old, fresh, purges int
	if err := e.db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE actor_id = 'old-admin'),
		count(*) FILTER (WHERE action = 'category.create'), count(*) FILTER (WHERE action = 'audit.purge') FROM audit_log`).
		Scan(&old, &fresh, &purges); err != nil {
		t.Fatal(err)
	}
	if old != 0 || fresh != 1 || purges != 3 {
		t.Fatalf("after retention: %d old records, %d fresh, %d purge records; want 0, 1, 3", old, fresh, purges)
	}

	manifests, err := filepath.Glob(filepath.Join(e.cfg.ReportsDir, "audit", "*.manifest.json"))
	if err != nil || len(manifests) != 3 {
		t.Fatalf("manifests %v (%v), want 3", manifests, err)
	}
	exported := map[string]bool{}
	for _, name := range manifests {
		var m activities.AuditManifest
		b, err := os.ReadFile(name)
		if err != nil || json.Unmarshal(b, &m) != nil || m.Format != activities.AuditExportFormat {
			t.Fatalf("manifest %s: %s (%v)", name, b, err)
		}
		f, err := os.Open(filepath.Join(e.cfg.ReportsDir, m.Object))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		sc, n := bufio.NewScanner(zr), 0
		for sc.Scan() {
			var rec store.AuditEntry
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec.Actor.AccountID != "old-admin" || rec.After == nil {
				t.Fatalf("%s: record %s (%v)", m.Object, sc.Bytes(), err)
			}
			exported[rec.ResourceID] = true
			n++
		}
		f.Close()
		if n != m.Count {
			t.Fatalf("%s holds %d records, its manifest says %d", m.Object, n, m.Count)
		}
	}
	if len(exported) != 5 {
		t.Fatalf("exported %d distinct records, want 5", len(exported))
	}
	if recording() {
		e.saveHistory("audit_retention", run.GetID())
	}
}
