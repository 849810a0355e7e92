package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"shopflow/config"
	"shopflow/ingest"
	"shopflow/ingest/ingesttest"
	"shopflow/store"
	"shopflow/workflows"
)

// ingestDeadline bounds every wait for a batch to finish.
const ingestDeadline = 120 * time.Second

// ingestEnv is a deployment for batch ingest: env with an ingest directory of its own, and a
// worker in this process unless the test runs its own.
type ingestEnv struct {
	*env
	admin    account
	products []int64
}

func newIngestEnv(t *testing.T, chunkLines int, inProcessWorker bool) *ingestEnv {
	t.Helper()
	dir := t.TempDir()
	opts := []envOption{withConfig(func(cfg *config.Config) {
		cfg.IngestDir = filepath.Join(dir, "ingest")
		cfg.IngestInbox = filepath.Join(dir, "inbox")
		cfg.IngestChunkLines = chunkLines
	})}
	if !inProcessWorker {
		opts = append(opts, withoutWorker())
	}
	e := newEnv(t, opts...)
	ie := &ingestEnv{env: e}
	for range 5 {
		ie.products = append(ie.products, e.newProduct(0, 1000))
	}
	ie.admin = e.newAdmin()
	return ie
}

// environ is the deployment's configuration as a worker or CLI process gets it.
func (ie *ingestEnv) environ() []string {
	return append(ie.workerEnviron(),
		"SHOPFLOW_INGEST_DIR="+ie.cfg.IngestDir,
		"SHOPFLOW_INGEST_INBOX="+ie.cfg.IngestInbox,
		"SHOPFLOW_INGEST_CHUNK_LINES="+strconv.Itoa(ie.cfg.IngestChunkLines),
		"SHOPFLOW_INGEST_INTERVAL=1h",
	)
}

// orderFile is a generated CSV file of lines good order lines, and its total quantity, counted
// here from the file itself.
func (ie *ingestEnv) orderFile(lines int, seed int64) ([]byte, int64) {
	ie.t.Helper()
	var buf bytes.Buffer
	if err := ingesttest.GenerateFile(&buf, lines, ie.products, seed); err != nil {
		ie.t.Fatal(err)
	}
	var units int64
	sc := bufio.NewScanner(bytes.NewReader(buf.Bytes()))
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		if q, err := strconv.ParseInt(fields[5], 10, 64); err == nil {
			units += q
		}
	}
	return buf.Bytes(), units
}

type batchView struct {
	ID           string  `json:"id"`
	Status       string  `json:"status"`
	SizeBytes    int64   `json:"size_bytes"`
	OffsetBytes  int64   `json:"offset_bytes"`
	Progress     float64 `json:"progress"`
	LinesRead    int64   `json:"lines_read"`
	Accepted     int64   `json:"accepted"`
	Duplicates   int64   `json:"duplicates"`
	Rejected     int64   `json:"rejected"`
	ErrorFileURL *string `json:"error_file_url"`
	Failure      *string `json:"failure"`
}

// call sends one request to the ingest API as the admin.
func (ie *ingestEnv) call(method, path, contentType string, body []byte) (int, []byte) {
	ie.t.Helper()
	hr, err := http.NewRequest(method, ie.api.URL+path, bytes.NewReader(body))
	if err != nil {
		ie.t.Fatal(err)
	}
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	hr.Header.Set("Authorization", "Bearer "+ie.admin.Token)
	res, err := ie.http.Do(hr)
	if err != nil {
		ie.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		ie.t.Fatal(err)
	}
	return res.StatusCode, out
}

// upload submits a file as a multipart form, as curl -F does, and returns the status and batch id.
func (ie *ingestEnv) upload(name string, content []byte) (int, string) {
	ie.t.Helper()
	var form bytes.Buffer
	w := multipart.NewWriter(&form)
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		ie.t.Fatal(err)
	}
	_, _ = part.Write(content)
	_ = w.Close()
	code, body := ie.call("POST", "/api/v1/ingest/batches", w.FormDataContentType(), form.Bytes())
	var sub struct {
		BatchID string `json:"batch_id"`
	}
	if err := json.Unmarshal(body, &sub); err != nil || sub.BatchID == "" {
		ie.t.Fatalf("upload %s: %d %s", name, code, body)
	}
	return code, sub.BatchID
}

func (ie *ingestEnv) batch(id string) batchView {
	ie.t.Helper()
	code, body := ie.call("GET", "/api/v1/ingest/batches/"+id, "", nil)
	var b batchView
	if err := json.Unmarshal(body, &b); code != http.StatusOK || err != nil {
		ie.t.Fatalf("GET batch %s: %d %s", id, code, body)
	}
	return b
}

// awaitBatch polls the batch's status URL until it completes or fails.
func (ie *ingestEnv) awaitBatch(id string) batchView {
	ie.t.Helper()
	var b batchView
	eventually(ie.t, ingestDeadline, func() (bool, error) {
		b = ie.batch(id)
		return b.Status == store.BatchCompleted || b.Status == store.BatchFailed, nil
	}, func() string { return fmt.Sprintf("batch %s to finish (last seen %+v)", id, b) })
	return b
}

// TestIngestFileThroughAPI ingests a generated file of about 20,000 lines, some bad, uploaded
// through the API, by a real worker on the dev server; the counts equal an independent SQL
// count, the bad lines are in the error file, and the same file again changes nothing.
func TestIngestFileThroughAPI(t *testing.T) {
	t.Parallel()
	ie := newIngestEnv(t, 2000, true)
	seed := rand.Int64N(1 << 40)
	file, units := ie.orderFile(20_000, seed)
	p := ie.products[0]
	bad := []string{
		fmt.Sprintf("gen,g%d-bad,1,2026-11-20T10:00:00Z,987654321,1,100,USD", seed),                           // line 20002: unknown product
		fmt.Sprintf("gen,g%d-bad,2,20.11.2026,%d,1,100,USD", seed, p),                                         // line 20003: bad date
		fmt.Sprintf("gen,g%d-bad,3,2026-11-20T10:00:00Z,%d,1,100,USD,", seed, p) + strings.Repeat("x", 2<<20), // 20004: too long
	}
	last := fmt.Sprintf("gen,g%d-last,1,2026-11-20T10:00:00Z,%d,4,100,USD", seed, p) // 20005, no newline after it
	file = append(file, []byte(strings.Join(bad, "\n")+"\n"+last)...)
	units += 4

	code, id := ie.upload("day.csv", file)
	if code != http.StatusAccepted {
		t.Fatalf("upload: %d", code)
	}
	b := ie.awaitBatch(id)
	if b.Status != store.BatchCompleted || b.LinesRead != 20_005 || b.Accepted != 20_001 || b.Duplicates != 0 || b.Rejected != 3 ||
		b.Progress != 1 || b.OffsetBytes != int64(len(file)) || b.ErrorFileURL == nil {
		t.Fatalf("completed batch: %+v", b)
	}
	like := fmt.Sprintf("g%d-%%", seed)
	if n := ie.count(`SELECT count(*) FROM sales_facts WHERE source = 'gen' AND external_order_id LIKE $1`, like); int64(n) != b.Accepted {
		t.Fatalf("%d sales facts, the batch says %d accepted", n, b.Accepted)
	}
	if n := ie.count(`SELECT sum(quantity)::bigint FROM sales_facts WHERE external_order_id LIKE $1`, like); int64(n) != units {
		t.Fatalf("%d units counted, the file holds %d", n, units)
	}
	if n := ie.count(`SELECT sum(units)::bigint FROM sales_hourly`); int64(n) != units {
		t.Fatalf("the hourly rollup has %d units, the file %d", n, units)
	}

	code, body := ie.call("GET", *b.ErrorFileURL, "", nil)
	var lines []int64
	for l := range strings.Lines(string(body)) {
		var r ingest.Rejection
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("error file line %q: %v", l, err)
		}
		lines = append(lines, r.Line)
	}
	if code != http.StatusOK || fmt.Sprint(lines) != "[20002 20003 20004]" {
		t.Fatalf("error file (%d): %s", code, body)
	}

	var res workflows.IngestBatchResult
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ie.temporal.GetWorkflow(ctx, workflows.IngestWorkflowID(id), "").Get(ctx, &res); err != nil || res.Accepted != 20_001 {
		t.Fatalf("workflow result %+v: %v", res, err)
	}

	// The same file again: the same batch, nothing counted twice.
	code, again := ie.upload("day-again.csv", file)
	if code != http.StatusOK || again != id {
		t.Fatalf("resubmission: %d batch %s, want 200 batch %s", code, again, id)
	}
	if n := ie.count(`SELECT count(*) FROM sales_facts`); int64(n) != b.Accepted {
		t.Fatalf("%d facts after resubmission", n)
	}
	if after := ie.batch(id); !reflect.DeepEqual(after, b) {
		t.Fatalf("batch changed after resubmission: %+v", after)
	}
}

// TestIngestWorkerKilledMidFile submits a file with the CLI, lets a `shopflow worker` process
// ingest part of it, kills it (SIGKILL), and lets another worker finish: every line counts
// exactly once. The CLI then follows the same file to its end.
func TestIngestWorkerKilledMidFile(t *testing.T) {
	t.Parallel()
	bin := shopflowBinary(t)
	ie := newIngestEnv(t, 100, false)
	seed := rand.Int64N(1 << 40)
	file, units := ie.orderFile(20_000, seed)
	path := filepath.Join(t.TempDir(), "big.csv")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}

	out, err := runCLI(bin, ie.environ(), "ingest", "--no-wait", path)
	if err != nil {
		t.Fatalf("shopflow ingest --no-wait: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`batch ([0-9a-f-]{36}) \(submitted\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("shopflow ingest --no-wait did not name a new batch:\n%s", out)
	}
	id := m[1]

	first := startWorkerProcess(t, bin, ie.environ())
	t.Cleanup(func() {
		// `shopflow worker` ensures the Schedules, pointing at this test's task queue.
		ctx := context.Background()
		for _, s := range []string{workflows.SweepScheduleID, workflows.IngestInboxScheduleID} {
			_ = ie.temporal.ScheduleClient().GetHandle(ctx, s).Delete(ctx)
		}
	})
	read := func() int { return ie.count(`SELECT lines_read FROM ingest_batches WHERE id = $1`, id) }
	eventually(t, ingestDeadline, func() (bool, error) { return read() >= 3000, nil },
		func() string { return fmt.Sprintf("3000 lines to be read before the kill (%d were)", read()) })
	first.kill()
	atKill := read()
	t.Logf("worker killed after %d of 20001 lines", atKill)
	if atKill >= 20_001 {
		t.Fatal("the whole file was read before the kill: the test proved nothing")
	}

	ie.startWorker()
	b := ie.awaitBatch(id)
	if b.Status != store.BatchCompleted || b.Accepted != 20_000 || b.Duplicates != 0 || b.Rejected != 0 || b.LinesRead != 20_001 {
		t.Fatalf("completed batch: %+v", b)
	}
	if n := ie.count(`SELECT count(*) FROM sales_facts`); n != 20_000 {
		t.Fatalf("%d sales facts, want 20000", n)
	}
	if n := ie.count(`SELECT sum(units)::bigint FROM sales_hourly`); int64(n) != units {
		t.Fatalf("the hourly rollup has %d units, the file %d", n, units)
	}

	out, err = runCLI(bin, ie.environ(), "ingest", path)
	if err != nil || !strings.Contains(out, "batch "+id+" (already submitted, completed)") ||
		!strings.Contains(out, "completed: 20001 lines read, 20000 order lines accepted, 0 duplicates, 0 lines rejected") {
		t.Fatalf("shopflow ingest of the same file: %v\n%s", err, out)
	}
}

// TestIngestInbox drops files in the inbox and runs the sweep: the good file is ingested and
// moved to processed/, bad ones go to rejected/ with a reason, files still being written are
// left alone, and a batch whose start was lost is started. A batch run with one chunk per run
// continues as new until done.
func TestIngestInbox(t *testing.T) {
	t.Parallel()
	ie := newIngestEnv(t, 2000, true)
	ctx, cancel := context.WithTimeout(context.Background(), ingestDeadline)
	defer cancel()
	inbox := ie.cfg.IngestInbox
	if err := os.MkdirAll(inbox, 0o750); err != nil {
		t.Fatal(err)
	}
	good, _ := ie.orderFile(3000, rand.Int64N(1<<40))
	old := time.Now().Add(-time.Minute)
	for name, content := range map[string][]byte{
		"good.csv":       good,
		"notes.txt":      []byte("not orders"),
		"headerless.csv": []byte("gen,x,1,2026-11-20T10:00:00Z,1,1,1,USD\n"),
		".partial.csv":   good, // a copy in progress, by its name
		"fresh.csv":      good, // a copy in progress, by its age
	} {
		p := filepath.Join(inbox, name)
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		if name != "fresh.csv" {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Submitted while Temporal was down: registered, never started.
	st := store.New(ie.db)
	lost, _, err := ingest.Submit(ctx, st, ingest.Files{Dir: ie.cfg.IngestDir}, ingest.Submission{Filename: "lost.ndjson", Format: ingest.FormatNDJSON,
		Body: strings.NewReader(fmt.Sprintf(`{"source":"feed","external_order_id":"L-1","ordered_at":"2026-11-20T10:30:00Z","lines":[{"product_id":%d,"quantity":2,"unit_price_cents":5,"currency":"USD"}]}`+"\n", ie.products[1]))})
	if err != nil {
		t.Fatal(err)
	}

	run, err := ie.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "inbox-" + randHex(4), TaskQueue: ie.cfg.BatchTaskQueue},
		workflows.IngestInboxWorkflowName, workflows.IngestInboxInput{})
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.IngestInboxResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatalf("inbox sweep: %v", err)
	}
	if res.Adopted != 1 || len(res.Rejected) != 2 || res.Started != 2 {
		t.Fatalf("sweep result: %+v", res)
	}
	names := func(dir string) []string {
		entries, _ := os.ReadDir(dir)
		var out []string
		for _, e := range entries {
			if !e.IsDir() {
				out = append(out, regexp.MustCompile(`^[0-9T.Z]+-`).ReplaceAllString(e.Name(), ""))
			}
		}
		return out
	}
	if got := fmt.Sprint(names(inbox)); got != "[.partial.csv fresh.csv]" {
		t.Errorf("left in the inbox: %s", got)
	}
	if got := fmt.Sprint(names(filepath.Join(inbox, "processed"))); got != "[good.csv]" {
		t.Errorf("processed: %s", got)
	}
	if got := fmt.Sprint(names(filepath.Join(inbox, "rejected"))); got != "[headerless.csv headerless.csv.reason.txt notes.txt notes.txt.reason.txt]" {
		t.Errorf("rejected: %s", got)
	}

	var goodID string
	if err := ie.db.QueryRow(ctx, `SELECT id FROM ingest_batches WHERE filename = 'good.csv'`).Scan(&goodID); err != nil {
		t.Fatal(err)
	}
	if b := ie.awaitBatch(goodID); b.Status != store.BatchCompleted || b.Accepted != 3000 {
		t.Fatalf("inbox batch: %+v", b)
	}
	if b := ie.awaitBatch(lost.ID); b.Status != store.BatchCompleted || b.Accepted != 1 {
		t.Fatalf("lost batch: %+v", b)
	}

	// One chunk per run: the batch continues as new after each chunk, and ends the same.
	big, _ := ie.orderFile(5000, rand.Int64N(1<<40))
	b, _, err := ingest.Submit(ctx, st, ingest.Files{Dir: ie.cfg.IngestDir}, ingest.Submission{Filename: "big.csv", Format: ingest.FormatCSV, Body: bytes.NewReader(big)})
	if err != nil {
		t.Fatal(err)
	}
	run, err = ie.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.IngestWorkflowID(b.ID), TaskQueue: ie.cfg.BatchTaskQueue},
		workflows.IngestBatchWorkflowName, workflows.IngestBatchInput{BatchID: b.ID, ChunksPerRun: 1})
	if err != nil {
		t.Fatal(err)
	}
	firstRun := run.GetRunID()
	var done workflows.IngestBatchResult
	if err := run.Get(ctx, &done); err != nil || done.Accepted != 5000 || done.LinesRead != 5001 {
		t.Fatalf("batch run chunk by chunk: %+v %v", done, err)
	}
	desc, err := ie.temporal.DescribeWorkflowExecution(ctx, workflows.IngestWorkflowID(b.ID), "")
	if err != nil {
		t.Fatal(err)
	}
	if last := desc.GetWorkflowExecutionInfo().GetExecution().GetRunId(); last == firstRun {
		t.Fatal("the batch finished in its first run: it never continued as new")
	}
}

// runCLI runs the shopflow binary with the deployment's environment and no other SHOPFLOW_*
// variable, and returns its combined output.
func runCLI(bin string, environ []string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SHOPFLOW_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, environ...)
	dieWithTests(cmd)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
