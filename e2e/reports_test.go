package e2e

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"shopflow/ingest"
	"shopflow/notify"
	"shopflow/report"
	"shopflow/store"
	"shopflow/workflows"
)

// reportDeadline bounds every wait for a report, digest or outbox run: the machine is shared and
// slow, but a run that needs longer than this is a failure.
const reportDeadline = 2 * time.Minute

// An admin runs the daily report for a day through the API; the real worker builds the day's
// files from sales ingested for it (and for the days either side, which must not count) and
// starts the seller digest. The admin listing shows the day's manifest, the platform CSV has
// exactly the seeded units, orders and revenue per product, each seller lists and downloads
// only its own file (another seller's is admin-only: 403), a seller without sales has none,
// and each seller gets exactly one in-app digest. Running the day again publishes byte-identical
// files and sends no second digest.
func TestReportsPublishTheDayAndDigestEachSellerOnce(t *testing.T) {
	t.Parallel()
	rp := newReportsEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*reportDeadline)
	defer cancel()
	const date = "2025-03-11" // the report and digest workflow ids are per day; no other test uses it
	day, _ := report.ParseDate(date)

	shoes, books, idle := rp.newSeller("Shoes "+randHex(3)), rp.newSeller("Books "+randHex(3)), rp.newSeller("Idle "+randHex(3))
	// Books also wants email: not configured on this worker, so that channel is skipped, and
	// the in-app digest still goes out.
	rp.mustSend(request{method: "PUT", path: "/api/v1/sellers/me/notification-preferences", token: books.Token,
		body: map[string]any{"channels": []string{"inapp", "email"}, "email": "books@example.com"}}, nil, http.StatusOK)
	boots, laces := rp.product(shoes, "Boots "+randHex(3), 1250), rp.product(shoes, "Laces "+randHex(3), 399)
	novel := rp.product(books, "Novel "+randHex(3), 2000)
	orders := []ingest.Order{
		posOrder("A-1", day.Add(9*time.Hour), ingest.Line{ProductID: boots.ID, Quantity: 2, UnitPriceCents: 1250, Currency: "USD"},
			ingest.Line{ProductID: novel.ID, Quantity: 1, UnitPriceCents: 2000, Currency: "USD"}),
		posOrder("A-2", day.Add(15*time.Hour+30*time.Minute), ingest.Line{ProductID: boots.ID, Quantity: 3, UnitPriceCents: 1200, Currency: "USD"}),
		posOrder("A-3", day.Add(24*time.Hour-time.Second), ingest.Line{ProductID: laces.ID, Quantity: 5, UnitPriceCents: 399, Currency: "USD"}),
		// The day before and the day after: in the digest's series, never in the day's report.
		posOrder("B-1", day.Add(-time.Minute), ingest.Line{ProductID: boots.ID, Quantity: 7, UnitPriceCents: 1250, Currency: "USD"}),
		posOrder("C-1", day.Add(24*time.Hour), ingest.Line{ProductID: novel.ID, Quantity: 4, UnitPriceCents: 2000, Currency: "USD"}),
	}
	rp.ingestSales(orders)
	want := expectedRows(date, day, orders, map[int64]reportProduct{boots.ID: boots, laces.ID: laces, novel.ID: novel})
	if len(want) != 3 {
		t.Fatalf("seeded %d product rows for %s, want 3", len(want), date)
	}

	// Only an admin runs or reads the day's reports.
	rp.mustSend(request{method: "POST", path: "/api/v1/admin/jobs/daily-report", token: shoes.Token, body: map[string]string{"date": date}}, nil, http.StatusForbidden)
	rp.mustSend(request{method: "GET", path: "/api/v1/reports", token: shoes.Token}, nil, http.StatusForbidden)

	first := rp.runReport(ctx, date)
	if first.result != (workflows.DailyReportResult{Date: date, Files: 6, Rows: 3, Bytes: first.result.Bytes}) || first.result.Bytes <= 0 {
		t.Errorf("first run %s: %+v, want 6 files (platform and 2 sellers, CSV and Parquet) of 3 rows", first.runID, first.result)
	}
	m := rp.manifest(date)
	var names []string
	for _, f := range m.Files {
		names = append(names, f.Name)
		if f.SHA256 == "" || f.Bytes <= 0 {
			t.Errorf("manifest file %+v: no sha256 or size", f)
		}
	}
	sellerFiles := func(s reportSeller) []string {
		return []string{report.SellerFile(s.SellerID, "csv"), report.SellerFile(s.SellerID, "parquet")}
	}
	byID := []reportSeller{shoes, books}
	slices.SortFunc(byID, func(a, b reportSeller) int { return strings.Compare(a.SellerID, b.SellerID) })
	wantNames := append([]string{report.PlatformCSV, report.PlatformPQ}, append(sellerFiles(byID[0]), sellerFiles(byID[1])...)...)
	if m.Date != date || m.FormatVersion != report.FormatVersion || !slices.Equal(names, wantNames) {
		t.Fatalf("manifest of %s: date %s, version %d, files %v; want files %v", date, m.Date, m.FormatVersion, names, wantNames)
	}

	platform := rp.download("/api/v1/reports/"+date+"/files/"+report.PlatformCSV, rp.admin.Token, fileOf(m, report.PlatformCSV))
	if got := csvRows(t, platform); !reflect.DeepEqual(got, want) {
		t.Errorf("platform.csv of %s:\n got %q\nwant %q", date, got, want)
	}
	for _, s := range []reportSeller{shoes, books} {
		var mine struct {
			Reports []report.Manifest `json:"items"`
		}
		rp.mustSend(request{method: "GET", path: "/api/v1/sellers/me/reports?from=" + date + "&to=" + date, token: s.Token}, &mine, http.StatusOK)
		if len(mine.Reports) != 1 || mine.Reports[0].Date != date || !slices.Equal(fileNames(mine.Reports[0]), sellerFiles(s)) {
			t.Errorf("seller %s lists %+v, want only its own two files of %s", s.SellerID, mine.Reports, date)
		}
		own := rp.download("/api/v1/sellers/me/reports/"+date+"?format=csv", s.Token, fileOf(m, report.SellerFile(s.SellerID, "csv")))
		var wantOwn [][]string
		for _, r := range want {
			if r[5] == s.SellerID {
				wantOwn = append(wantOwn, r)
			}
		}
		if got := csvRows(t, own); !reflect.DeepEqual(got, wantOwn) {
			t.Errorf("seller %s's CSV:\n got %q\nwant %q", s.SellerID, got, wantOwn)
		}
	}
	// A seller can name only its own file; another's is behind the admin route.
	rp.mustSend(request{method: "GET", path: "/api/v1/reports/" + date + "/files/" + report.SellerFile(books.SellerID, "csv"), token: shoes.Token}, nil, http.StatusForbidden)
	var none struct {
		Reports []report.Manifest `json:"items"`
	}
	rp.mustSend(request{method: "GET", path: "/api/v1/sellers/me/reports?from=" + date + "&to=" + date, token: idle.Token}, &none, http.StatusOK)
	if len(none.Reports) != 0 {
		t.Errorf("a seller without sales lists %+v, want no report", none.Reports)
	}
	rp.mustSend(request{method: "GET", path: "/api/v1/sellers/me/reports/" + date, token: idle.Token}, nil, http.StatusNotFound)

	digest := rp.awaitDigest(ctx, first)
	if digest.Period != date || digest.Runs != 1 || digest.Sellers != 3 || digest.Sent != 3 || digest.Duplicates != 0 || digest.Skipped != 1 || digest.Failed != 0 {
		t.Errorf("first digest: %+v, want 3 sellers sent in-app once, books' email skipped", digest)
	}
	units := map[string]int64{shoes.SellerID: 10, books.SellerID: 1, idle.SellerID: 0}
	for _, s := range []reportSeller{shoes, books, idle} {
		rp.wantOneDigest(s, date, units[s.SellerID])
	}

	// Again: a new run of report-<date>, the same bytes, and a digest that sends nothing new.
	second := rp.runReport(ctx, date)
	if second.runID == first.runID {
		t.Fatalf("the second trigger joined run %s instead of running the day again", first.runID)
	}
	if second.result != first.result {
		t.Errorf("second run: %+v, want %+v as the first", second.result, first.result)
	}
	again := rp.manifest(date)
	if !reflect.DeepEqual(again.Files, m.Files) {
		t.Errorf("rerun changed the files:\nfirst  %+v\nsecond %+v", m.Files, again.Files)
	}
	if b := rp.download("/api/v1/reports/"+date+"/files/"+report.PlatformCSV, rp.admin.Token, fileOf(again, report.PlatformCSV)); !bytes.Equal(b, platform) {
		t.Errorf("rerun's platform.csv differs:\n%s\nwas\n%s", b, platform)
	}
	repeat := rp.awaitDigest(ctx, second)
	if repeat.Sellers != 3 || repeat.Sent != 0 || repeat.Duplicates != 3 || repeat.Failed != 0 {
		t.Errorf("second digest: %+v, want 3 sellers, nothing sent, 3 duplicates", repeat)
	}
	for _, s := range []reportSeller{shoes, books, idle} {
		rp.wantOneDigest(s, date, units[s.SellerID])
	}
}

// A placed order's customer hears of it, and the seller of the product it sold out, only when
// DeliverOutbox drains the outbox (here started by hand, as the worker's one-minute Schedule
// would); shipping the order queues "shipped", delivered by the next drain; a drain with nothing
// queued sends nothing again.
func TestOutboxDeliversOrderAndStockNotifications(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*reportDeadline)
	defer cancel()
	cust, bystander := e.newCustomer(), e.newCustomer()
	plenty, scarce := e.newProduct(50, 1500), e.newProduct(2, 800)
	seller := e.catalog.seller

	placed := e.checkout(cust, checkoutOf(cardVisa, line{ProductID: plenty, Quantity: 1}, line{ProductID: scarce, Quantity: 2}))
	e.wantPlaced(cust, placed.ID, e.awaitSaga(placed.ID))
	if got := e.inbox(cust); len(got) != 0 {
		t.Fatalf("the customer has %+v before any drain, want nothing: only DeliverOutbox delivers", got)
	}
	if n := e.count(`SELECT count(*) FROM notification_outbox WHERE status = 'queued'`); n != 2 {
		t.Fatalf("%d outbox items queued after the order, want 2 (order placed, low stock)", n)
	}

	if res, _ := e.drainOutbox(ctx); res.Sent != 2 || res.Failed != 0 || res.Retry != 0 {
		t.Fatalf("first drain: %+v, want the order and the stock alert sent", res)
	}
	got := e.inbox(cust)
	if len(got) != 1 || got[0].Kind != "order_placed" || got[0].Channel != store.ChannelInApp || !strings.Contains(got[0].Body, placed.ID) {
		t.Fatalf("customer's notifications: %+v, want one in-app order_placed about %s", got, placed.ID)
	}
	if alerts := e.inbox(seller); len(alerts) != 1 || alerts[0].Kind != "low_stock" || !strings.Contains(alerts[0].Body, fmt.Sprint(scarce)) {
		t.Errorf("seller's notifications: %+v, want one low_stock about product %d", alerts, scarce)
	}
	if others := e.inbox(bystander); len(others) != 0 {
		t.Errorf("another customer sees %+v", others)
	}

	var shipped order
	e.mustSend(request{method: "POST", path: "/api/v1/orders/" + placed.ID + "/ship", token: seller.Token}, &shipped, http.StatusOK)
	if shipped.Status != store.OrderShipped {
		t.Fatalf("after shipping every line the order is %s, want shipped", shipped.Status)
	}
	if got := e.inbox(cust); len(got) != 1 {
		t.Fatalf("the customer has %d notifications before the next drain, want 1", len(got))
	}
	if res, _ := e.drainOutbox(ctx); res.Sent != 1 || res.Failed != 0 || res.Retry != 0 {
		t.Fatalf("second drain: %+v, want the shipment sent", res)
	}
	got = e.inbox(cust) // newest first
	if len(got) != 2 || got[0].Kind != "order_shipped" || !strings.Contains(got[0].Body, placed.ID) || got[1].Kind != "order_placed" {
		t.Fatalf("customer's notifications: %+v, want order_shipped then order_placed", got)
	}

	if res, _ := e.drainOutbox(ctx); res != (workflows.DeliverOutboxResult{}) {
		t.Errorf("a drain with nothing queued did %+v", res)
	}
	if got := e.inbox(cust); len(got) != 2 {
		t.Errorf("after an empty drain the customer has %d notifications, want 2", len(got))
	}
	if n := e.count(`SELECT count(*) FROM notification_outbox WHERE status <> 'sent'`); n != 0 {
		t.Errorf("%d outbox items not sent", n)
	}
}

// Helpers here are prefixed or named for reports and the outbox, to stay clear of other test
// files' names.

// reportsEnv is a deployment for the daily report: env's database and Temporal, a report
// directory of its own, a worker in this process that publishes there, and an API that starts
// DailyReport runs and serves the published files, wired as cmd/shopflow wires them.
type reportsEnv struct {
	*env
	admin    account
	category int64
	catName  string
}

// reportSeller is a logged-in seller and its store.
type reportSeller struct {
	account
	SellerID  string
	StoreName string
}

// reportProduct is a product as the report names it.
type reportProduct struct {
	ID       int64
	Name     string
	Seller   reportSeller
	Category int64
	CatName  string
}

// reportRun is one finished DailyReport run.
type reportRun struct {
	workflowID, runID string
	result            workflows.DailyReportResult
}

func newReportsEnv(t *testing.T) *reportsEnv {
	t.Helper()
	e := newEnv(t)
	rp := &reportsEnv{env: e, admin: e.newAdmin(), catName: "Reports " + randHex(4)}
	var cat struct {
		ID int64 `json:"id"`
	}
	e.mustSend(request{method: "POST", path: "/api/v1/categories", token: rp.admin.Token,
		body: map[string]string{"name": rp.catName}}, &cat, http.StatusCreated)
	rp.category = cat.ID
	return rp
}

// newSeller registers a seller with a store of that name and logs it in.
func (rp *reportsEnv) newSeller(storeName string) reportSeller {
	rp.t.Helper()
	email := "s-" + randHex(6) + "@example.com"
	rp.mustSend(request{method: "POST", path: "/api/v1/auth/register", body: map[string]string{
		"email": email, "password": "a-long-password-1", "role": "seller", "store_name": storeName}}, nil, http.StatusCreated)
	var tok struct {
		AccessToken string `json:"access_token"`
		User        struct {
			ID       string `json:"id"`
			SellerID string `json:"seller_id"`
		} `json:"user"`
	}
	rp.mustSend(request{method: "POST", path: "/api/v1/auth/login",
		body: map[string]string{"email": email, "password": "a-long-password-1"}}, &tok, http.StatusOK)
	if tok.User.SellerID == "" {
		rp.t.Fatalf("seller %s logged in without a seller id", email)
	}
	return reportSeller{account: account{ID: tok.User.ID, Token: tok.AccessToken}, SellerID: tok.User.SellerID, StoreName: storeName}
}

// product lists an active product of the seller in the env's category.
func (rp *reportsEnv) product(s reportSeller, name string, priceCents int64) reportProduct {
	rp.t.Helper()
	var p struct {
		ID int64 `json:"id"`
	}
	rp.mustSend(request{method: "POST", path: "/api/v1/products", token: s.Token, body: map[string]any{
		"category_id": rp.category, "name": name, "price_cents": priceCents, "currency": "USD", "status": "active", "on_hand": 100,
	}}, &p, http.StatusCreated)
	return reportProduct{ID: p.ID, Name: name, Seller: s, Category: rp.category, CatName: rp.catName}
}

// posOrder is an order another system (a point of sale) reports, for ingestSales; id is made
// unique to the run.
func posOrder(id string, at time.Time, lines ...ingest.Line) ingest.Order {
	return ingest.Order{Source: "pos", ExternalOrderID: id + "-" + randHex(3), OrderedAt: at.UTC(), Lines: lines}
}

// ingestSales reports the orders through the ingest API, as the admin, expecting all counted.
func (rp *reportsEnv) ingestSales(orders []ingest.Order) {
	rp.t.Helper()
	var res struct {
		Accepted   int   `json:"accepted"`
		Duplicates int   `json:"duplicates"`
		Rejected   []any `json:"rejected"`
	}
	rp.mustSend(request{method: "POST", path: "/api/v1/ingest/orders", token: rp.admin.Token, body: orders}, &res, http.StatusOK)
	if res.Accepted != len(orders) || res.Duplicates != 0 || len(res.Rejected) != 0 {
		rp.t.Fatalf("ingest of %d orders: %+v", len(orders), res)
	}
}

// runReport triggers the day's report through the API and waits for that run to finish.
func (rp *reportsEnv) runReport(ctx context.Context, date string) reportRun {
	rp.t.Helper()
	var started struct {
		WorkflowID string `json:"workflow_id"`
	}
	rp.mustSend(request{method: "POST", path: "/api/v1/admin/jobs/daily-report", token: rp.admin.Token,
		body: map[string]string{"date": date}}, &started, http.StatusAccepted)
	if started.WorkflowID != workflows.DailyReportWorkflowID(date) {
		rp.t.Fatalf("daily report started as %q, want %q", started.WorkflowID, workflows.DailyReportWorkflowID(date))
	}
	d, err := rp.temporal.DescribeWorkflowExecution(ctx, started.WorkflowID, "")
	if err != nil {
		rp.t.Fatal(err)
	}
	run := reportRun{workflowID: started.WorkflowID, runID: d.GetWorkflowExecutionInfo().GetExecution().GetRunId()}
	if err := rp.temporal.GetWorkflow(ctx, run.workflowID, run.runID).Get(ctx, &run.result); err != nil {
		rp.t.Fatalf("daily report %s (run %s): %v", run.workflowID, run.runID, err)
	}
	return run
}

// awaitDigest waits for the seller digest the report run started, as its history names it.
func (rp *reportsEnv) awaitDigest(ctx context.Context, run reportRun) workflows.SellerDigestResult {
	rp.t.Helper()
	id, runID := rp.childOf(ctx, run.workflowID, run.runID)
	date := strings.TrimPrefix(run.workflowID, "report-")
	if id != workflows.SellerDigestWorkflowID(date) {
		rp.t.Fatalf("report %s started child %s, want %s", run.workflowID, id, workflows.SellerDigestWorkflowID(date))
	}
	var res workflows.SellerDigestResult
	if err := rp.temporal.GetWorkflow(ctx, id, runID).Get(ctx, &res); err != nil {
		rp.t.Fatalf("seller digest %s (run %s): %v", id, runID, err)
	}
	return res
}

// childOf names the child workflow the run started, from its history.
func (e *env) childOf(ctx context.Context, workflowID, runID string) (childID, childRunID string) {
	e.t.Helper()
	it := e.temporal.GetWorkflowHistory(ctx, workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			e.t.Fatalf("history of %s: %v", workflowID, err)
		}
		if a := ev.GetChildWorkflowExecutionStartedEventAttributes(); a != nil {
			return a.GetWorkflowExecution().GetWorkflowId(), a.GetWorkflowExecution().GetRunId()
		}
	}
	e.t.Fatalf("run %s of %s started no child workflow", runID, workflowID)
	return "", ""
}

// manifest is the day's manifest as the admin listing shows it.
func (rp *reportsEnv) manifest(date string) report.Manifest {
	rp.t.Helper()
	var days struct {
		Reports []report.Manifest `json:"items"`
	}
	rp.mustSend(request{method: "GET", path: "/api/v1/reports?from=" + date + "&to=" + date, token: rp.admin.Token}, &days, http.StatusOK)
	if len(days.Reports) != 1 {
		rp.t.Fatalf("GET /api/v1/reports for %s: %d days, want 1", date, len(days.Reports))
	}
	return days.Reports[0]
}

// download GETs a report file and checks it is the file the manifest describes: its size, its
// sha256 and the ETag carrying it.
func (rp *reportsEnv) download(path, token string, f report.File) []byte {
	rp.t.Helper()
	hr, err := http.NewRequest("GET", rp.api.URL+path, nil)
	if err != nil {
		rp.t.Fatal(err)
	}
	hr.Header.Set("Authorization", "Bearer "+token)
	res, err := rp.http.Do(hr)
	if err != nil {
		rp.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		rp.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		rp.t.Fatalf("GET %s: %d: %s", path, res.StatusCode, body)
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(body)) != f.Bytes || res.Header.Get("ETag") != `"`+f.SHA256+`"` {
		rp.t.Errorf("GET %s: %d bytes, sha256 %x, ETag %s; the manifest says %+v", path, len(body), sum, res.Header.Get("ETag"), f)
	}
	return body
}

// wantOneDigest checks the seller has exactly one in-app digest, for the day, with its units.
func (rp *reportsEnv) wantOneDigest(s reportSeller, date string, units int64) {
	rp.t.Helper()
	var digests []inboxItem
	for _, n := range rp.inbox(s.account) {
		if n.Kind == notify.DigestKind {
			digests = append(digests, n)
		}
	}
	if len(digests) != 1 {
		rp.t.Errorf("seller %s has %d digests, want 1: %+v", s.StoreName, len(digests), digests)
		return
	}
	d := digests[0]
	if d.Channel != store.ChannelInApp || !strings.Contains(d.Subject, date) || !strings.Contains(d.Body, s.StoreName) ||
		!strings.Contains(d.Body, fmt.Sprintf("Units: %d ", units)) {
		rp.t.Errorf("seller %s's digest: %+v, want the in-app digest of %s with %d units", s.StoreName, d, date, units)
	}
}

// inboxItem is an in-app notification as GET /api/v1/notifications answers it.
type inboxItem struct {
	ID      int64  `json:"id"`
	Channel string `json:"channel"`
	Kind    string `json:"kind"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// inbox lists the account's in-app notifications, newest first (a single page: tests make few).
func (e *env) inbox(a account) []inboxItem {
	e.t.Helper()
	var page struct {
		Items      []inboxItem `json:"items"`
		NextCursor *string     `json:"next_cursor"`
	}
	e.mustSend(request{method: "GET", path: "/api/v1/notifications?limit=100", token: a.Token}, &page, http.StatusOK)
	if page.NextCursor != nil {
		e.t.Fatalf("more than 100 notifications for %s", a.ID)
	}
	return page.Items
}

// drainOutbox runs DeliverOutbox once, as the worker's Schedule does every minute, and returns
// what it did and its workflow id.
func (e *env) drainOutbox(ctx context.Context) (workflows.DeliverOutboxResult, string) {
	e.t.Helper()
	id := "outbox-" + randHex(4)
	run, err := e.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: e.cfg.TaskQueue},
		workflows.DeliverOutboxWorkflowName, workflows.DeliverOutboxInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	var res workflows.DeliverOutboxResult
	if err := run.Get(ctx, &res); err != nil {
		e.t.Fatalf("outbox drain %s: %v", id, err)
	}
	return res, id
}

// expectedRows are the report rows the orders make for the day, sorted as the report sorts them
// (seller, then product), as CSV records.
func expectedRows(date string, day time.Time, orders []ingest.Order, products map[int64]reportProduct) [][]string {
	rows := map[int64]*report.Row{}
	counted := map[int64]map[string]bool{} // product -> orders with a line of it
	for _, o := range orders {
		if o.OrderedAt.Before(day) || !o.OrderedAt.Before(day.Add(24*time.Hour)) {
			continue
		}
		for _, l := range o.Lines {
			p := products[l.ProductID]
			r := rows[p.ID]
			if r == nil {
				r = &report.Row{Date: date, CategoryID: p.Category, CategoryName: p.CatName, ProductID: p.ID, ProductName: p.Name,
					SellerID: p.Seller.SellerID, SellerName: p.Seller.StoreName, Currency: l.Currency}
				rows[p.ID], counted[p.ID] = r, map[string]bool{}
			}
			r.Units += int64(l.Quantity)
			r.GrossRevenueCents += int64(l.Quantity) * l.UnitPriceCents
			r.NetRevenueCents = r.GrossRevenueCents
			if !counted[p.ID][o.ExternalOrderID] {
				counted[p.ID][o.ExternalOrderID] = true
				r.Orders++
			}
		}
	}
	var out []report.Row
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b report.Row) int {
		if c := strings.Compare(a.SellerID, b.SellerID); c != 0 {
			return c
		}
		return cmp.Compare(a.ProductID, b.ProductID)
	})
	var records [][]string
	for _, r := range out {
		records = append(records, r.Record())
	}
	return records
}

// csvRows parses a report CSV, checking its header, and returns the data rows.
func csvRows(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.Contains(b, []byte("\r\n")) {
		t.Errorf("report CSV without CRLF line ends: %q", b)
	}
	all, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("report CSV: %v: %q", err, b)
	}
	if len(all) == 0 || !slices.Equal(all[0], report.Columns) {
		t.Fatalf("report CSV header %q, want %q", all, report.Columns)
	}
	return all[1:]
}

func fileOf(m report.Manifest, name string) report.File {
	for _, f := range m.Files {
		if f.Name == name {
			return f
		}
	}
	return report.File{Name: name}
}

func fileNames(m report.Manifest) []string {
	var out []string
	for _, f := range m.Files {
		out = append(out, f.Name)
	}
	return out
}
