package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"shopflow/report"
	"shopflow/store"
	"shopflow/workflows"
)

// returnView is a return as the API answers it.
type returnView struct {
	ID      string `json:"id"`
	OrderID string `json:"order_id"`
	Status  string `json:"status"`
}

// deliveredOrder buys lines through the real saga and has the catalog's seller ship and
// deliver them; it returns the order's id.
func (e *env) deliveredOrder(cust account, lines ...line) string {
	e.t.Helper()
	o := e.checkout(cust, checkoutOf(cardVisa, lines...))
	wantOutcome(e.t, e.awaitSaga(o.ID), store.OrderPlaced, "")
	for _, step := range []string{"ship", "deliver"} {
		e.mustSend(request{method: "POST", path: "/api/v1/orders/" + o.ID + "/" + step, token: e.catalog.seller.Token}, nil, http.StatusOK)
	}
	return o.ID
}

// requestReturn asks to return qty units of line lineNo of the order; the order holds one
// seller's lines, so it is one return.
func (e *env) requestReturn(cust account, orderID string, lineNo, qty int) string {
	e.t.Helper()
	var created struct {
		Returns []returnView `json:"returns"`
	}
	e.mustSend(request{method: "POST", path: "/api/v1/orders/" + orderID + "/returns", token: cust.Token, key: "ret-" + randHex(6),
		body: map[string]any{"reason": "too big", "lines": []map[string]any{{"line_no": lineNo, "quantity": qty}}}}, &created, http.StatusCreated)
	if len(created.Returns) != 1 {
		e.t.Fatalf("%d returns, want 1", len(created.Returns))
	}
	return created.Returns[0].ID
}

// returnStep takes one step of the return over the API.
func (e *env) returnStep(token, id, step string, body any) {
	e.t.Helper()
	e.mustSend(request{method: "POST", path: "/api/v1/returns/" + id + "/" + step, token: token, body: body}, nil, http.StatusOK)
}

// awaitReturn waits for the return's workflow to end and returns its result.
func (e *env) awaitReturn(id string) workflows.ReturnResult {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sagaDeadline)
	defer cancel()
	var res workflows.ReturnResult
	if err := e.temporal.GetWorkflow(ctx, workflows.ReturnWorkflowID(id), "").Get(ctx, &res); err != nil {
		e.t.Fatalf("return workflow %s: %v", id, err)
	}
	return res
}

// receiveTwoOfThree runs the return: 3 lamps delivered, 2 returned, approved, shipped,
// both received, one back to stock. It returns the customer, order, lamp and return.
func (e *env) receiveTwoOfThree() (cust account, orderID string, lamp int64, returnID string) {
	e.t.Helper()
	cust = e.newCustomer()
	lamp, rug := e.newProduct(10, 1999), e.newProduct(10, 500)
	orderID = e.deliveredOrder(cust, line{ProductID: lamp, Quantity: 3}, line{ProductID: rug, Quantity: 1})
	returnID = e.requestReturn(cust, orderID, 1, 2)
	seller := e.catalog.seller.Token
	e.returnStep(seller, returnID, "approve", map[string]any{"note": "send them back"})
	e.returnStep(cust.Token, returnID, "ship", map[string]any{"tracking": "1Z999AA1"})
	e.returnStep(seller, returnID, "receive", map[string]any{"lines": []map[string]any{{"line_no": 1, "received": 2, "restock": 1}}})
	return cust, orderID, lamp, returnID
}

// TestReturnRefundsExactlyTheReceivedUnits: deliver 3 lamps, return 2, receive both with one
// to stock. The refund equals those units' money, computed here from order_items; the stock
// went up by one; the daily report and the seller's analytics show the same refund.
func TestReturnRefundsExactlyTheReceivedUnits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cust, orderID, lamp, returnID := e.receiveTwoOfThree()
	const lampBefore = 10 - 3 // 10 in stock, 3 sold
	res := e.awaitReturn(returnID)
	if res.Status != store.ReturnRefunded || res.RefundID == "" {
		t.Fatalf("return ended %+v, want refunded", res)
	}
	var withTax, withoutTax int64
	if err := e.db.QueryRow(context.Background(), `
		SELECT i.unit_price_cents * 2 - floor(i.discount_cents * 2 / i.quantity)::bigint
		       + CASE WHEN o.prices_include_tax THEN 0 ELSE floor(i.tax_cents * 2 / i.quantity)::bigint END,
		       i.unit_price_cents * 2 - floor(i.discount_cents * 2 / i.quantity)::bigint
		FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.order_id = $1 AND i.line_no = 1`, orderID).
		Scan(&withTax, &withoutTax); err != nil {
		t.Fatal(err)
	}
	var refunded int64
	var status string
	if err := e.db.QueryRow(context.Background(), `SELECT amount_cents, status FROM refunds WHERE return_id = $1 AND key = $2`,
		returnID, workflows.ReturnRefundKey(returnID)).Scan(&refunded, &status); err != nil {
		t.Fatal(err)
	}
	if refunded != withTax || status != store.RefundSucceeded {
		t.Errorf("refund %d (%s), want %d succeeded", refunded, status, withTax)
	}
	if onHand, _ := e.stock(lamp); onHand != lampBefore+1 {
		t.Errorf("lamp stock %d, want %d (one unit back to stock)", onHand, lampBefore+1)
	}
	var o struct {
		Status string `json:"status"`
	}
	e.mustSend(request{method: "GET", path: "/api/v1/orders/" + orderID, token: cust.Token}, &o, http.StatusOK)
	if o.Status != "partially_refunded" {
		t.Errorf("order is %s, want partially_refunded", o.Status)
	}
	if got := e.sellerAnalyticsRefunds(lamp); got != withoutTax {
		t.Errorf("seller analytics show %d refunded for the lamp, want %d", got, withoutTax)
	}
	if got := e.dailyReportRefunds(lamp); got != withoutTax {
		t.Errorf("the daily report shows %d refunded for the lamp, want %d", got, withoutTax)
	}
	if n := e.count(`SELECT count(*) FROM notification_outbox WHERE payload->>'return_id' = $1`, returnID); n != 10 {
		t.Errorf("%d notices of the return, want customer and seller told of each of its 5 steps (requested to refunded)", n)
	}
}

// sellerAnalyticsRefunds is the catalog seller's refunds of the product today, as its analytics say.
func (e *env) sellerAnalyticsRefunds(product int64) int64 {
	e.t.Helper()
	today := time.Now().UTC().Format(time.DateOnly)
	var a store.Analytics
	e.mustSend(request{method: "GET", path: "/api/v1/sellers/me/analytics?from=" + today, token: e.catalog.seller.Token}, &a, http.StatusOK)
	for _, p := range a.Products {
		if p.ProductID == product {
			return p.RefundsCents
		}
	}
	return 0
}

// dailyReportRefunds builds today's daily report and reads the product's refunds from its
// platform CSV.
func (e *env) dailyReportRefunds(product int64) int64 {
	e.t.Helper()
	date := time.Now().UTC().Format(time.DateOnly)
	e.runDailyReport(workflows.DailyReportInput{Date: date})
	admin := e.newAdmin()
	code, b, err := e.send(request{method: "GET", path: "/api/v1/reports/" + date + "/files/" + report.PlatformCSV, token: admin.Token})
	if err != nil || code != http.StatusOK {
		e.t.Fatalf("platform report of %s: %d %v %s", date, code, err, b)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) == 0 {
		e.t.Fatalf("platform report: %v", err)
	}
	col, pcol := slices.Index(rows[0], "refunds_cents"), slices.Index(rows[0], "product_id")
	var sum int64
	for _, r := range rows[1:] {
		if r[pcol] == fmt.Sprint(product) {
			n, _ := strconv.ParseInt(r[col], 10, 64)
			sum += n
		}
	}
	return sum
}

// TestReturnRejectedAndCanceledReleaseUnits: a rejected and a canceled return end their
// workflows and free the units for a new request; no refund is made.
func TestReturnRejectedAndCanceledReleaseUnits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cust := e.newCustomer()
	orderID := e.deliveredOrder(cust, line{ProductID: e.newProduct(5, 700), Quantity: 2})
	rejected := e.requestReturn(cust, orderID, 1, 2)
	e.returnStep(e.catalog.seller.Token, rejected, "reject", map[string]any{"note": "used"})
	if res := e.awaitReturn(rejected); res.Status != store.ReturnRejected {
		t.Errorf("rejected return ended %+v", res)
	}
	canceled := e.requestReturn(cust, orderID, 1, 2)
	e.returnStep(cust.Token, canceled, "cancel", nil)
	if res := e.awaitReturn(canceled); res.Status != store.ReturnCanceled {
		t.Errorf("canceled return ended %+v", res)
	}
	if n := e.count(`SELECT count(*) FROM refunds WHERE order_id = $1`, orderID); n != 0 {
		t.Errorf("%d refunds of an order whose returns were rejected and canceled", n)
	}
}
