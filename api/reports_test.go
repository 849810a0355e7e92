package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"shopflow/api"
	"shopflow/report"
)

// fakeReportJobs stands in for workflows.ReportJobs and records the days asked for.
type fakeReportJobs struct {
	mu   sync.Mutex
	days []string
}

func (f *fakeReportJobs) TriggerDailyReport(_ context.Context, day time.Time) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.days = append(f.days, day.Format(time.DateOnly))
	return "report-" + day.Format(time.DateOnly), nil
}

const reportDay = "2026-11-20"

// reportsEnv is an API whose report storage holds a published reportDay, with sales of two
// sellers (a and b); seller c sold nothing.
type reportsEnv struct {
	*testEnv
	jobs     *fakeReportJobs
	files    report.Local
	admin    account
	a, b, c  account
	aID, bID string
	manifest report.Manifest
}

func newReportsEnv(t *testing.T) *reportsEnv {
	t.Helper()
	e := newEnv(t)
	r := &reportsEnv{jobs: &fakeReportJobs{}, files: report.Local{Dir: t.TempDir()}}
	r.admin, r.a, r.b, r.c = e.newAdmin(), e.newSeller(), e.newSeller(), e.newSeller()
	r.aID, r.bID = *r.a.SellerID, *r.b.SellerID
	ctx := context.Background()
	if _, err := e.Store.Pool.Exec(ctx, `
		WITH c AS (INSERT INTO categories (name, slug) VALUES ('Tea', 'tea-' || md5(random()::text)) RETURNING id),
		p AS (INSERT INTO products (seller_id, category_id, name, price_cents, currency)
		      SELECT s, c.id, 'Product of ' || s, 250, 'EUR' FROM c, unnest($1::uuid[]) s RETURNING id, seller_id, category_id)
		INSERT INTO sales_facts (source, external_order_id, line_no, ordered_at, product_id, seller_id, category_id, quantity, unit_price_cents, currency)
		SELECT 'test', 'o-' || p.seller_id || '-' || g, 1, '2026-11-20 10:00Z'::timestamptz + g * interval '1 minute',
		       p.id, p.seller_id, p.category_id, g, 250, 'EUR'
		FROM p, generate_series(1, 3) g`, []string{r.aID, r.bID}); err != nil {
		t.Fatal(err)
	}
	m, err := report.BuildDaily(ctx, e.Store.Pool, r.files, report.DailyOptions{Date: reportDay,
		GeneratedAt: time.Date(2026, 11, 21, 0, 15, 0, 0, time.UTC), StagingDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r.manifest = m
	r.testEnv = e.rebuilt(t, func(d *api.Deps) { d.Reports, d.ReportFiles = r.jobs, r.files })
	return r
}

func TestRunDailyReport(t *testing.T) {
	r := newReportsEnv(t)
	for _, tc := range []struct {
		name  string
		token string
		body  any
		want  int
	}{
		{"an admin starts a day's report", r.admin.Token, map[string]any{"date": "2026-11-20"}, http.StatusAccepted},
		{"a date that is no day is refused", r.admin.Token, map[string]any{"date": "2026-02-30"}, http.StatusUnprocessableEntity},
		{"a day not begun yet is refused", r.admin.Token, map[string]any{"date": time.Now().UTC().AddDate(0, 0, 2).Format(time.DateOnly)}, http.StatusUnprocessableEntity},
		{"the date is required", r.admin.Token, map[string]any{}, http.StatusUnprocessableEntity},
		{"a seller may not start it", r.a.Token, map[string]any{"date": "2026-11-20"}, http.StatusForbidden},
		{"nor may anonymous callers", "", map[string]any{"date": "2026-11-20"}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := r.call(tc.want, req{Method: "POST", Path: "/api/v1/admin/jobs/daily-report", Token: tc.token, Body: tc.body})
			if tc.want == http.StatusAccepted {
				var body struct {
					WorkflowID string `json:"workflow_id"`
				}
				res.JSON(t, &body)
				if body.WorkflowID != "report-2026-11-20" {
					t.Errorf("workflow_id %q", body.WorkflowID)
				}
			}
		})
	}
	if len(r.jobs.days) != 1 || r.jobs.days[0] != "2026-11-20" {
		t.Errorf("jobs started for %v, want [2026-11-20]", r.jobs.days)
	}
}

func TestAdminReports(t *testing.T) {
	r := newReportsEnv(t)
	res := r.call(http.StatusOK, req{Method: "GET", Path: "/api/v1/reports?from=2026-11-01&to=2026-11-30", Token: r.admin.Token})
	var list struct {
		Reports    []report.Manifest `json:"items"`
		NextCursor *string           `json:"next_cursor"`
	}
	res.JSON(t, &list)
	if len(list.Reports) != 1 || list.Reports[0].Date != reportDay || len(list.Reports[0].Files) != 6 || list.NextCursor != nil {
		t.Fatalf("listing %+v (next %v), want the one day with 6 files and no next page", list.Reports, list.NextCursor)
	}

	for _, tc := range []struct {
		name  string
		token string
		path  string
		want  int
	}{
		{"the platform report", r.admin.Token, "/api/v1/reports/2026-11-20/files/platform.csv", http.StatusOK},
		{"a seller's report", r.admin.Token, "/api/v1/reports/2026-11-20/files/sellers/" + r.aID + ".parquet", http.StatusOK},
		{"the manifest", r.admin.Token, "/api/v1/reports/2026-11-20/files/manifest.json", http.StatusOK},
		{"a file the day does not have", r.admin.Token, "/api/v1/reports/2026-11-20/files/sellers/nobody.csv", http.StatusNotFound},
		{"a name climbing out", r.admin.Token, "/api/v1/reports/2026-11-20/files/sellers/..%2F..%2Fplatform.csv", http.StatusNotFound},
		{"a day not published", r.admin.Token, "/api/v1/reports/2026-11-19/files/platform.csv", http.StatusNotFound},
		{"a date that is no day", r.admin.Token, "/api/v1/reports/yesterday/files/platform.csv", http.StatusBadRequest},
		{"a seller may not use the admin download", r.a.Token, "/api/v1/reports/2026-11-20/files/sellers/" + r.bID + ".csv", http.StatusForbidden},
		{"nor list every day", r.a.Token, "/api/v1/reports", http.StatusForbidden},
		{"an inverted range is refused", r.admin.Token, "/api/v1/reports?from=2026-11-20&to=2026-11-01", http.StatusUnprocessableEntity},
		{"a range over a year is refused", r.admin.Token, "/api/v1/reports?from=2024-01-01&to=2026-11-01", http.StatusUnprocessableEntity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := r.call(tc.want, req{Method: "GET", Path: tc.path, Token: tc.token})
			if tc.want == http.StatusOK && strings.HasSuffix(tc.path, "platform.csv") {
				want, _ := readStored(t, r.files, report.DayPath(reportDay, report.PlatformCSV))
				if !bytes.Equal(res.Body, want) {
					t.Error("downloaded platform.csv differs from the stored file")
				}
				if res.Header.Get("ETag") != `"`+r.manifest.Files[0].SHA256+`"` {
					t.Errorf("ETag %q", res.Header.Get("ETag"))
				}
			}
		})
	}
}

func TestSellerReportsAreTheSellersOwn(t *testing.T) {
	r := newReportsEnv(t)
	res := r.call(http.StatusOK, req{Method: "GET", Path: "/api/v1/sellers/me/reports?from=2026-11-01&to=2026-11-30", Token: r.a.Token})
	var list struct {
		Reports    []report.Manifest `json:"items"`
		NextCursor *string           `json:"next_cursor"`
	}
	res.JSON(t, &list)
	if len(list.Reports) != 1 || len(list.Reports[0].Files) != 2 || list.NextCursor != nil {
		t.Fatalf("seller listing %+v (next %v), want one day with its two files and no next page", list.Reports, list.NextCursor)
	}
	for _, f := range list.Reports[0].Files {
		if !strings.Contains(f.Name, r.aID) {
			t.Errorf("seller a sees %s", f.Name)
		}
	}
	res = r.call(http.StatusOK, req{Method: "GET", Path: "/api/v1/sellers/me/reports?from=2026-11-01&to=2026-11-30", Token: r.c.Token})
	res.JSON(t, &list)
	if len(list.Reports) != 0 {
		t.Errorf("seller c, who sold nothing, sees %+v", list.Reports)
	}

	for _, tc := range []struct {
		name  string
		token string
		path  string
		want  int
	}{
		{"its own CSV", r.a.Token, "/api/v1/sellers/me/reports/2026-11-20", http.StatusOK},
		{"its own Parquet", r.a.Token, "/api/v1/sellers/me/reports/2026-11-20?format=parquet", http.StatusOK},
		{"a format naming another seller's file", r.a.Token, "/api/v1/sellers/me/reports/2026-11-20?format=..%2F" + r.bID + ".csv", http.StatusBadRequest},
		{"a format naming a path", r.a.Token, "/api/v1/sellers/me/reports/2026-11-20?format=csv%2F..%2F..%2Fplatform", http.StatusBadRequest},
		{"a seller with no sales that day gets nothing", r.c.Token, "/api/v1/sellers/me/reports/2026-11-20", http.StatusNotFound},
		{"a day not published", r.a.Token, "/api/v1/sellers/me/reports/2026-11-19", http.StatusNotFound},
		{"a date that is a path matches no route", r.a.Token, "/api/v1/sellers/me/reports/..%2F2026-11-20", http.StatusNotFound},
		{"customers have no reports", r.newCustomer().Token, "/api/v1/sellers/me/reports/2026-11-20", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := r.call(tc.want, req{Method: "GET", Path: tc.path, Token: tc.token})
			if tc.want == http.StatusOK && !strings.Contains(tc.path, "parquet") {
				recs, err := csv.NewReader(bytes.NewReader(res.Body)).ReadAll()
				if err != nil || len(recs) != 2 {
					t.Fatalf("csv %v: %d records, want header and one product", err, len(recs))
				}
				if recs[1][5] != r.aID || recs[1][7] != "6" || recs[1][8] != "3" || recs[1][9] != "1500" {
					t.Errorf("row %v: want seller a, 6 units in 3 orders, 1500 cents", recs[1])
				}
			}
		})
	}
}

// call is mustDo; the harness checks every response against api/openapi.yaml.
func (r *reportsEnv) call(want int, q req) response {
	r.t.Helper()
	return r.mustDo(want, q)
}

// reportsSpec is the loaded api/openapi.yaml.
func reportsSpec(t testing.TB) *openapi3.T {
	t.Helper()
	doc, _, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestReportsOpenAPICoversTheReportRoutes(t *testing.T) {
	doc := reportsSpec(t)
	for _, op := range []struct{ method, path, role string }{
		{"POST", "/api/v1/admin/jobs/daily-report", "admin"},
		{"GET", "/api/v1/reports", "admin"},
		{"GET", "/api/v1/reports/{date}/files/{name}", "admin"},
		{"GET", "/api/v1/sellers/me/reports", "seller"},
		{"GET", "/api/v1/sellers/me/reports/{date}", "seller"},
	} {
		item := doc.Paths.Value(op.path)
		if item == nil || item.GetOperation(op.method) == nil {
			t.Errorf("%s %s is not documented", op.method, op.path)
			continue
		}
		o := item.GetOperation(op.method)
		if o.OperationID == "" || len(o.Tags) == 0 || o.Security == nil || !strings.Contains(fmt.Sprint(o.Extensions["x-roles"]), op.role) {
			t.Errorf("%s %s: needs operationId, tags, security and x-roles [%s]", op.method, op.path, op.role)
		}
		if o.Responses.Default() == nil {
			t.Errorf("%s %s: no default response", op.method, op.path)
		}
	}
}

func readStored(t *testing.T, st report.Storage, name string) ([]byte, error) {
	t.Helper()
	rc, err := st.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(rc)
	return b.Bytes(), err
}
