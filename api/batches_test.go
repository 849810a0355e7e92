package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"shopflow/api"
	"shopflow/config"
	"shopflow/ingest"
	"shopflow/store"
)

// fakeBatchIngests stands in for workflows.Ingests and records every start.
type fakeBatchIngests struct {
	mu      sync.Mutex
	started []string
	// err, when set, is returned by Start (Temporal down).
	err error
}

func (f *fakeBatchIngests) Start(_ context.Context, batchID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.started = append(f.started, batchID)
	return nil
}

func (f *fakeBatchIngests) Started() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.started...)
}

// batchEnv is the test API with an ingest directory of its own and a fake batch workflow.
type batchEnv struct {
	*testEnv
	ingests  *fakeBatchIngests
	dir      string
	products []int64
}

func newBatchEnv(t *testing.T) *batchEnv {
	t.Helper()
	dir := t.TempDir()
	e := newEnv(t, func(c *config.Config) { c.IngestDir = dir })
	fake := &fakeBatchIngests{}
	e = e.rebuilt(t, func(d *api.Deps) { d.Batches = fake })
	be := &batchEnv{testEnv: e, ingests: fake, dir: dir}
	seller := e.newSeller()
	ctx := context.Background()
	var category int64
	if err := e.Store.Pool.QueryRow(ctx, `INSERT INTO categories (name, slug) VALUES ('Home', 'home') RETURNING id`).Scan(&category); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		var id int64
		if err := e.Store.Pool.QueryRow(ctx, `INSERT INTO products (seller_id, category_id, name, price_cents, currency)
			VALUES ($1, $2, 'Lamp', 500, 'USD') RETURNING id`, *seller.SellerID, category).Scan(&id); err != nil {
			t.Fatal(err)
		}
		be.products = append(be.products, id)
	}
	return be
}

// multipartFile is a form with the file in field, as browsers and curl -F send it.
func multipartFile(t *testing.T, field, filename, contentType string, content []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("note", "sent first, ignored")
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, filename))
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	part, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := part.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

type submitted struct {
	BatchID   string `json:"batch_id"`
	Status    string `json:"status"`
	StatusURL string `json:"status_url"`
}

type batchBody struct {
	ID           string  `json:"id"`
	Filename     string  `json:"filename"`
	Format       string  `json:"format"`
	SHA256       string  `json:"sha256"`
	SizeBytes    int64   `json:"size_bytes"`
	Status       string  `json:"status"`
	OffsetBytes  int64   `json:"offset_bytes"`
	Progress     float64 `json:"progress"`
	LinesRead    int64   `json:"lines_read"`
	Accepted     int64   `json:"accepted"`
	Duplicates   int64   `json:"duplicates"`
	Rejected     int64   `json:"rejected"`
	ErrorFileURL *string `json:"error_file_url"`
	FinishedAt   *string `json:"finished_at"`
	CreatedAt    string  `json:"created_at"`
	Failure      *string `json:"failure"`
}

// TestBatchSubmitFollowAndErrors walks a file through the API: submitted (202), submitted again
// (200, the same batch), followed while queued, ingested (by the worker's code, here called
// directly), then followed to completion and its error file fetched.
func TestBatchSubmitFollowAndErrors(t *testing.T) {
	t.Parallel()
	e := newBatchEnv(t)
	admin := e.newAdmin()
	p := e.products[0]
	file := []byte("source,external_order_id,line_no,ordered_at,product_id,quantity,unit_price_cents,currency\n" +
		fmt.Sprintf("legacy,A-1,1,2026-11-20T10:30:00Z,%d,2,500,USD\n", p) +
		"legacy,A-1,2,2026-11-20T10:30:00Z,999999,1,500,USD\n" +
		fmt.Sprintf("legacy,A-2,1,2026-11-20T10:30:00Z,%d,-1,500,USD\n", p))
	sum := sha256.Sum256(file)

	body, ctype := multipartFile(t, "file", `C:\exports\day 1.csv`, "application/octet-stream", file)
	res := e.mustDo(http.StatusAccepted, req{Method: "POST", Path: "/api/v1/ingest/batches", Body: body, Token: admin.Token,
		Header: map[string]string{"Content-Type": ctype}})
	var sub submitted
	res.JSON(t, &sub)
	if sub.Status != "queued" || sub.StatusURL != "/api/v1/ingest/batches/"+sub.BatchID || res.Header.Get("Location") != sub.StatusURL {
		t.Fatalf("submitted: %+v, Location %q", sub, res.Header.Get("Location"))
	}
	if got := e.ingests.Started(); len(got) != 1 || got[0] != sub.BatchID {
		t.Fatalf("workflows started: %v", got)
	}

	// The same bytes again, now as a raw body: the same batch, nothing new.
	res = e.mustDo(http.StatusOK, req{Method: "POST", Path: "/api/v1/ingest/batches?filename=again.csv", Body: file, Token: admin.Token,
		Header: map[string]string{"Content-Type": "text/csv; charset=utf-8"}})
	var again submitted
	res.JSON(t, &again)
	if again.BatchID != sub.BatchID {
		t.Fatalf("resubmission made batch %s, want %s", again.BatchID, sub.BatchID)
	}

	var b batchBody
	e.mustDo(http.StatusOK, req{Method: "GET", Path: sub.StatusURL, Token: admin.Token}).JSON(t, &b)
	if b.Filename != "day 1.csv" || b.Format != "csv" || b.SHA256 != hex.EncodeToString(sum[:]) || b.SizeBytes != int64(len(file)) ||
		b.Status != "queued" || b.Progress != 0 || b.ErrorFileURL != nil || b.FinishedAt != nil {
		t.Fatalf("queued batch: %+v", b)
	}
	if code := e.mustDo(http.StatusNotFound, req{Method: "GET", Path: sub.StatusURL + "/errors", Token: admin.Token}).ErrorCode(t); code != "not_found" {
		t.Fatalf("errors before completion: %s", code)
	}

	// The worker's part.
	ing := &ingest.Batches{Store: e.Store, Files: ingest.Files{Dir: e.dir}, ChunkLines: 100}
	for {
		r, err := ing.IngestChunk(context.Background(), sub.BatchID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Done {
			break
		}
	}
	if _, err := ing.Complete(context.Background(), sub.BatchID); err != nil {
		t.Fatal(err)
	}

	e.mustDo(http.StatusOK, req{Method: "GET", Path: sub.StatusURL, Token: admin.Token}).JSON(t, &b)
	if b.Status != "completed" || b.Progress != 1 || b.OffsetBytes != b.SizeBytes || b.LinesRead != 4 || b.Accepted != 1 ||
		b.Rejected != 2 || b.ErrorFileURL == nil || *b.ErrorFileURL != sub.StatusURL+"/errors" || b.FinishedAt == nil {
		t.Fatalf("completed batch: %+v", b)
	}
	res = e.mustDo(http.StatusOK, req{Method: "GET", Path: *b.ErrorFileURL, Token: admin.Token})
	if ct := res.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("error file Content-Type %q", ct)
	}
	lines := strings.Split(strings.TrimSpace(string(res.Body)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"line":3,"reason":"product_id 999999 does not exist"`) ||
		!strings.HasPrefix(lines[1], fmt.Sprintf(`{"line":4,"reason":"quantity must be between 1 and %d, got -1"`, ingest.MaxQuantity)) {
		t.Fatalf("error file:\n%s", res.Body)
	}

	// Submitted once more after completion: the completed batch, and no workflow started.
	res = e.mustDo(http.StatusOK, req{Method: "POST", Path: "/api/v1/ingest/batches", Body: file, Token: admin.Token,
		Header: map[string]string{"Content-Type": "text/csv"}})
	res.JSON(t, &again)
	if again.BatchID != sub.BatchID || again.Status != "completed" || len(e.ingests.Started()) != 2 {
		t.Fatalf("after completion: %+v, started %v", again, e.ingests.Started())
	}
}

// TestBatchSubmitByAPIKeyWhileTemporalIsDown: a machine client with an ingest key submits an
// NDJSON file; Temporal being down does not lose it (the batch stays queued for the sweep).
func TestBatchSubmitByAPIKeyWhileTemporalIsDown(t *testing.T) {
	t.Parallel()
	e := newBatchEnv(t)
	e.ingests.err = errors.New("temporal unavailable")
	_, key, err := e.Store.CreateAPIKey(context.Background(), "order feed", store.RoleIngest)
	if err != nil {
		t.Fatal(err)
	}
	file := fmt.Sprintf(`{"source":"feed","external_order_id":"F-1","ordered_at":"2026-11-20T10:30:00Z","lines":[{"product_id":%d,"quantity":1,"unit_price_cents":5,"currency":"USD"}]}`+"\n", e.products[1])
	res := e.mustDo(http.StatusAccepted, req{Method: "POST", Path: "/api/v1/ingest/batches?filename=feed.ndjson", Body: file,
		Header: map[string]string{"Content-Type": "application/x-ndjson", "X-API-Key": key}})
	var sub submitted
	res.JSON(t, &sub)
	queued, err := e.Store.QueuedBatches(context.Background(), 10)
	if err != nil || len(queued) != 1 || queued[0].ID != sub.BatchID || queued[0].Format != "ndjson" || queued[0].SubmittedBy == "" {
		t.Fatalf("queued batches: %+v %v", queued, err)
	}
	var b batchBody
	e.mustDo(http.StatusOK, req{Method: "GET", Path: sub.StatusURL, Header: map[string]string{"X-API-Key": key}}).JSON(t, &b)
	if b.Filename != "feed.ndjson" || b.Format != "ndjson" {
		t.Fatalf("batch: %+v", b)
	}
}

// TestBatchSubmitRefusals: one row per way a submission is refused, each naming what it proves.
func TestBatchSubmitRefusals(t *testing.T) {
	t.Parallel()
	e := newBatchEnv(t)
	admin := e.newAdmin()
	customer := e.newCustomer()
	good := []byte("source,external_order_id,line_no,ordered_at,product_id,quantity,unit_price_cents,currency\n")
	noFile, noFileType := multipartFile(t, "upload", "a.csv", "", good)
	unknownExt, unknownExtType := multipartFile(t, "file", "orders.xlsx", "", good)
	typedPart, typedPartType := multipartFile(t, "file", "orders", "text/csv", []byte("source,external_order_id,line_no,ordered_at,product_id,quantity,unit_price_cents,currency\nx\n"))
	for _, c := range []struct {
		name   string
		token  string
		ctype  string
		path   string
		body   []byte
		status int
		code   string
	}{
		{"without a token", "", "text/csv", "", good, 401, "unauthorized"},
		{"as a customer", customer.Token, "text/csv", "", good, 403, "forbidden"},
		{"a JSON body", admin.Token, "application/json", "", []byte(`{"orders":[]}`), 400, "invalid"},
		{"no Content-Type", admin.Token, "", "", good, 400, "invalid"},
		{"a form without the file field", admin.Token, noFileType, "", noFile, 400, "invalid"},
		{"a file of unknown format", admin.Token, unknownExtType, "", unknownExt, 422, "validation"},
		{"an empty file", admin.Token, "text/csv", "", []byte{}, 400, "invalid"},
		{"a CSV file without its header", admin.Token, "text/csv", "", []byte("legacy,A-1,1,2026-11-20T10:30:00Z,1,1,1,USD\n"), 422, "validation"},
		{"a control character in the name", admin.Token, "text/csv", "?filename=a%07.csv", good, 422, "validation"},
		{"a form part typed text/csv", admin.Token, typedPartType, "", typedPart, 202, ""},
	} {
		r := req{Method: "POST", Path: "/api/v1/ingest/batches" + c.path, Body: c.body, Token: c.token, Header: map[string]string{"Content-Type": c.ctype}}
		if c.ctype == "" {
			r.Header = map[string]string{"Content-Type": ""}
		}
		res := e.do(r)
		if res.Code != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, res.Code, c.status, res.Body)
			continue
		}
		if c.code != "" {
			if code := res.ErrorCode(t); code != c.code {
				t.Errorf("%s: code %q, want %q", c.name, code, c.code)
			}
		}
	}
	if n := len(e.ingests.Started()); n != 1 {
		t.Errorf("%d workflows started, want 1 (the one good submission)", n)
	}

	// A body declared larger than the upload cap is refused before it is read.
	hr := httptest.NewRequest("POST", "/api/v1/ingest/batches", strings.NewReader("x"))
	hr.ContentLength = ingest.MaxFileBytes + 1
	hr.Header.Set("Content-Type", "text/csv")
	hr.Header.Set("Authorization", "Bearer "+admin.Token)
	rec := httptest.NewRecorder()
	e.Server.Handler().ServeHTTP(rec, hr)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("an 11 GiB body: status %d: %s", rec.Code, rec.Body)
	}

	for _, c := range []struct {
		name, path string
		status     int
	}{
		{"malformed id", "/api/v1/ingest/batches/42", 400},
		{"unknown id", "/api/v1/ingest/batches/7a4c1f3e-1111-4222-8333-444455556666", 404},
		{"errors of an unknown id", "/api/v1/ingest/batches/7a4c1f3e-1111-4222-8333-444455556666/errors", 404},
	} {
		if res := e.do(req{Method: "GET", Path: c.path, Token: admin.Token}); res.Code != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, res.Code, c.status, res.Body)
		}
	}
}

// TestBatchUploadOutlastsServerTimeouts: the HTTP server's read and write timeouts are sized for
// JSON requests, yet an upload that takes longer than they allow still goes through. The client
// here is slow on purpose: it pauses mid-body past both timeouts.
func TestBatchUploadOutlastsServerTimeouts(t *testing.T) {
	t.Parallel()
	e := newBatchEnv(t)
	admin := e.newAdmin()
	srv := httptest.NewUnstartedServer(e.Server.Handler())
	srv.Config.ReadTimeout = 200 * time.Millisecond
	srv.Config.WriteTimeout = 200 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)

	body, w := io.Pipe()
	go func() {
		_, _ = io.WriteString(w, "source,external_order_id,line_no,ordered_at,product_id,quantity,unit_price_cents,currency\n")
		time.Sleep(3 * srv.Config.ReadTimeout) // a slow client, not synchronisation
		_, _ = fmt.Fprintf(w, "legacy,S-1,1,2026-11-20T10:30:00Z,%d,1,100,USD\n", e.products[0])
		_ = w.Close()
	}()
	hr, err := http.NewRequest("POST", srv.URL+"/api/v1/ingest/batches?filename=slow.csv", body)
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "text/csv")
	hr.Header.Set("Authorization", "Bearer "+admin.Token)
	res, err := srv.Client().Do(hr)
	if err != nil {
		t.Fatalf("slow upload: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("slow upload: status %d", res.StatusCode)
	}
}
