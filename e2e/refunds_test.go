package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"shopflow/report"
	"shopflow/store"
)

// refundDeadline bounds a cancellation's workflow: restock, refund, notify.
const refundDeadline = 90 * time.Second

// refundsPlacedOrder checks out lines with card and waits for the saga to place the order.
func (e *env) refundsPlacedOrder(cust account, card string, lines ...line) order {
	e.t.Helper()
	o := e.checkout(cust, checkoutOf(card, lines...))
	if res := e.awaitSaga(o.ID); res.Status != store.OrderPlaced {
		e.t.Fatalf("order %s: saga ended %+v, want placed", o.ID, res)
	}
	return e.order(cust, o.ID)
}

// refundsCancelLine asks, as token, to cancel quantity units of line lineNo of the order.
func (e *env) refundsCancelLine(token, orderID string, lineNo, quantity int) (int, store.Cancellation, error) {
	code, body, err := e.send(request{method: "POST", path: "/api/v1/orders/" + orderID + "/cancellations", token: token,
		body: map[string]any{"lines": []map[string]int{{"line_no": lineNo, "quantity": quantity}}, "reason": "e2e"}})
	var c store.Cancellation
	if err == nil && code == http.StatusAccepted {
		err = json.Unmarshal(body, &c)
	}
	return code, c, err
}

// awaitCancellation waits for the cancellation's workflow to reach status.
func (e *env) awaitCancellation(id, status string) {
	e.t.Helper()
	var got string
	eventually(e.t, refundDeadline, func() (bool, error) {
		err := e.db.QueryRow(context.Background(), `SELECT status FROM cancellations WHERE id = $1`, id).Scan(&got)
		return got == status, err
	}, func() string { return fmt.Sprintf("cancellation %s %s (it is %s)", id, status, got) })
}

// expectedLineRefund is, independently of the Go code, what refunding n more units of a line
// returns when none were refunded before: the units' price less their share of the line's
// discount, plus their share of its tax when prices exclude it (floor of the shares).
func (e *env) expectedLineRefund(orderID string, lineNo, n int) (amount, reportValue int64) {
	e.t.Helper()
	err := e.db.QueryRow(context.Background(), `
		SELECT i.unit_price_cents * $3 - i.discount_cents * $3 / i.quantity
		       + CASE WHEN o.prices_include_tax THEN 0 ELSE i.tax_cents * $3 / i.quantity END,
		       i.unit_price_cents * $3 - i.discount_cents * $3 / i.quantity
		FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.order_id = $1 AND i.line_no = $2`,
		orderID, lineNo, n).Scan(&amount, &reportValue)
	if err != nil {
		e.t.Fatal(err)
	}
	return amount, reportValue
}

// TestRefundsCancelPlacedLine: an admin cancels two of three units of a placed order's line;
// the workflow restocks them and refunds exactly their money through the sandbox; the order is
// partially refunded; the day's report counts the refund as an independent SQL sum does.
func TestRefundsCancelPlacedLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, cust := e.newAdmin(), e.newCustomer()
	lamp, rug := e.newProduct(10, 1250), e.newProduct(10, 999)
	o := e.refundsPlacedOrder(cust, cardVisa, line{ProductID: lamp, Quantity: 3}, line{ProductID: rug, Quantity: 1})
	code, c, err := e.refundsCancelLine(admin.Token, o.ID, 1, 2)
	if err != nil || code != http.StatusAccepted {
		t.Fatalf("cancel: %d %v", code, err)
	}
	e.awaitCancellation(c.ID, store.CancellationCompleted)

	want, wantReport := e.expectedLineRefund(o.ID, 1, 2)
	var refunds struct{ Items []store.Refund }
	e.mustSend(request{method: "GET", path: "/api/v1/orders/" + o.ID + "/refunds", token: cust.Token}, &refunds, http.StatusOK)
	if len(refunds.Items) != 1 || refunds.Items[0].Status != store.RefundSucceeded || refunds.Items[0].AmountCents != want {
		t.Fatalf("refunds %+v, want one succeeded of %d", refunds.Items, want)
	}
	intent := o.intentID()
	if got := e.count(`SELECT refunded_cents FROM sandbox_intents WHERE id = $1`, intent); int64(got) != want {
		t.Errorf("the provider refunded %d, want %d", got, want)
	}
	if got := e.count(`SELECT refunded_cents FROM payments WHERE order_id = $1`, o.ID); int64(got) != want {
		t.Errorf("payments.refunded_cents %d, want %d", got, want)
	}
	if got := e.order(cust, o.ID); got.Status != store.OrderPartiallyRefunded {
		t.Errorf("order %s, want partially_refunded", got.Status)
	}
	if onHand, _ := e.stock(lamp); onHand != 9 {
		t.Errorf("lamp on hand %d, want 9 (10 - 3 sold + 2 canceled)", onHand)
	}
	if n := e.count(`SELECT count(*) FROM notification_outbox WHERE kind IN ('order_lines_canceled', 'seller_order_lines_canceled')`); n != 2 {
		t.Errorf("%d cancellation notices, want 2", n)
	}

	// The day's report, built as the worker builds it, counts the refund at its value after discount.
	date := time.Now().UTC().Format(time.DateOnly)
	st := report.Local{Dir: t.TempDir()}
	if _, err := report.BuildDaily(context.Background(), e.db, st, report.DailyOptions{Date: date, GeneratedAt: time.Now(),
		StagingDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	var reported int64
	for _, rec := range readReportCSV(t, st, report.DayPath(date, report.PlatformCSV)) {
		if rec[3] == strconv.FormatInt(lamp, 10) {
			n, _ := strconv.ParseInt(rec[11], 10, 64)
			reported += n
		}
	}
	if reported != wantReport {
		t.Errorf("the report's refunds for the lamp: %d, want %d", reported, wantReport)
	}
}

// TestRefundsConcurrentCancellationsRefundOnce: 20 concurrent cancellations of one line: one is
// accepted, the rest are conflicts, and the line is refunded once.
func TestRefundsConcurrentCancellationsRefundOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, cust := e.newAdmin(), e.newCustomer()
	lamp := e.newProduct(10, 1500)
	o := e.refundsPlacedOrder(cust, cardVisa, line{ProductID: lamp, Quantity: 1})
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	var accepted []string
	for range 20 {
		wg.Go(func() {
			code, c, err := e.refundsCancelLine(admin.Token, o.ID, 1, 1)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			codes[code]++
			if code == http.StatusAccepted {
				accepted = append(accepted, c.ID)
			}
		})
	}
	wg.Wait()
	if codes[http.StatusAccepted] != 1 || codes[http.StatusConflict] != 19 {
		t.Fatalf("answers %v, want one 202 and nineteen 409", codes)
	}
	e.awaitCancellation(accepted[0], store.CancellationCompleted)
	want, _ := e.expectedLineRefund(o.ID, 1, 1)
	if n := e.count(`SELECT count(*) FROM refunds WHERE order_id = $1`, o.ID); n != 1 {
		t.Errorf("%d refunds, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM sandbox_refunds WHERE intent_id = $1 AND status = 'succeeded'`, o.intentID()); n != 1 {
		t.Errorf("%d provider refunds, want 1", n)
	}
	if got := e.count(`SELECT refunded_cents FROM sandbox_intents WHERE id = $1`, o.intentID()); int64(got) != want {
		t.Errorf("the provider refunded %d, want %d", got, want)
	}
	if got := e.order(cust, o.ID); got.Status != store.OrderRefunded {
		t.Errorf("order %s, want refunded", got.Status)
	}
}

// TestRefundsRefusedThenRetried: the provider refuses a cancellation's refund; it stays failed
// and listed; once the card takes refunds again an admin's retry refunds it.
func TestRefundsRefusedThenRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, cust := e.newAdmin(), e.newCustomer()
	lamp := e.newProduct(10, 800)
	o := e.refundsPlacedOrder(cust, "pm_card_refundFail", line{ProductID: lamp, Quantity: 2})
	code, c, err := e.refundsCancelLine(admin.Token, o.ID, 1, 1)
	if err != nil || code != http.StatusAccepted {
		t.Fatalf("cancel: %d %v", code, err)
	}
	e.awaitCancellation(c.ID, store.CancellationRefundFailed)
	var failed struct{ Items []store.Refund }
	e.mustSend(request{method: "GET", path: "/api/v1/admin/refunds?status=failed", token: admin.Token}, &failed, http.StatusOK)
	if len(failed.Items) != 1 || failed.Items[0].OrderID != o.ID || failed.Items[0].FailureReason == "" {
		t.Fatalf("failed refunds %+v", failed.Items)
	}
	if _, err := e.db.Exec(context.Background(), `UPDATE sandbox_intents SET refuse_refunds = false WHERE id = $1`, o.intentID()); err != nil {
		t.Fatal(err)
	}
	e.mustSend(request{method: "POST", path: "/api/v1/admin/refunds/" + failed.Items[0].ID + "/retry", token: admin.Token}, nil, http.StatusAccepted)
	e.awaitCancellation(c.ID, store.CancellationCompleted)
	want, _ := e.expectedLineRefund(o.ID, 1, 1)
	if got := e.count(`SELECT refunded_cents FROM sandbox_intents WHERE id = $1`, o.intentID()); int64(got) != want {
		t.Errorf("the provider refunded %d, want %d", got, want)
	}
	if n := e.count(`SELECT attempts FROM refunds WHERE id = $1`, failed.Items[0].ID); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
}

func readReportCSV(t *testing.T, st report.Storage, name string) [][]string {
	t.Helper()
	rc, err := st.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v", name, err)
	}
	return recs[1:]
}
