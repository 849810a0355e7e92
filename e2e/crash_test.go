package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"

	"shopflow/store"
	"shopflow/workflows"
)

// The worker process is killed with SIGKILL while 50 checkouts are in flight, then started
// again. Temporal resumes every saga where its history left it and the idempotent steps make
// retried work harmless: every order ends placed or canceled, each placed order was charged
// exactly once, no canceled order kept money, and the stock adds up.
func TestWorkerKilledMidFlight(t *testing.T) {
	t.Parallel()
	bin := shopflowBinary(t)
	e := newEnv(t, withoutWorker(), withPaymentTimeout(2*time.Minute))
	products := []int64{e.newProduct(30, 1000), e.newProduct(30, 1100), e.newProduct(30, 1200)}
	initial := map[int64]int{products[0]: 30, products[1]: 30, products[2]: 30}
	customers := e.newCustomers(10)

	// 40 cards that pay, 5 that decline, 5 that wait for 3-D Secure (completed after the crash,
	// so the kill always lands before every saga is done). Demand exceeds stock on purpose:
	// some orders cancel out_of_stock.
	rng := rand.New(rand.NewPCG(7, 11))
	type planned struct {
		cust account
		req  checkoutRequest
	}
	plan := make([]planned, 50)
	for i := range plan {
		card := cardVisa
		switch i % 10 {
		case 3:
			card = cardDeclined
		case 7:
			card = card3DS
		}
		var lines []line
		for _, p := range rng.Perm(len(products))[:1+rng.IntN(2)] {
			lines = append(lines, line{ProductID: products[p], Quantity: 1 + rng.IntN(3)})
		}
		plan[i] = planned{cust: customers[i%len(customers)], req: checkoutOf(card, lines...)}
	}

	// Checkouts go in while no worker runs: their sagas queue up, and all start at once below.
	ids := make([]string, len(plan))
	var wg sync.WaitGroup
	failures := make(chan error, len(plan))
	for i, p := range plan {
		wg.Go(func() {
			code, res, raw, err := e.postCheckout(p.cust, fmt.Sprintf("crash-%d", i), p.req)
			switch {
			case err != nil:
				failures <- err
			case code != http.StatusAccepted:
				failures <- fmt.Errorf("checkout %d: status %d, want 202: %s", i, code, raw)
			default:
				ids[i] = res.Order.ID
			}
		})
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}

	terminal := func() int {
		return e.count(`SELECT count(*) FROM orders WHERE status IN ('placed', 'canceled')`)
	}
	first := startWorkerProcess(t, bin, e.workerEnviron())
	t.Cleanup(func() {
		// `shopflow worker` ensures the sweep's Schedule, pointing at this test's task queue.
		_ = e.temporal.ScheduleClient().GetHandle(context.Background(), workflows.SweepScheduleID).Delete(context.Background())
	})
	eventually(t, 60*time.Second, func() (bool, error) { return terminal() >= 5, nil },
		func() string { return fmt.Sprintf("5 orders to finish before the kill (%d did)", terminal()) })
	first.kill()
	atKill := terminal()
	inFlight := e.count(`SELECT count(*) FROM orders WHERE status IN ('pending', 'awaiting_payment') AND payment_method <> $1`, card3DS)
	t.Logf("worker killed with %d of %d orders finished, %d fast-path orders still in flight", atKill, len(plan), inFlight)
	if atKill == len(plan) {
		t.Fatal("every saga finished before the kill: the test proved nothing")
	}

	startWorkerProcess(t, bin, e.workerEnviron())
	// The shoppers who must pass 3-D Secure do so once their payment is waiting for them.
	for i, p := range plan {
		if p.req.PaymentMethod != card3DS {
			continue
		}
		var intentID string
		eventually(t, 60*time.Second, func() (bool, error) {
			status, _, id := e.orderRow(ids[i])
			intentID = id
			return id != "" || status == store.OrderCanceled, nil
		}, func() string { return fmt.Sprintf("order %s to wait for 3-D Secure", ids[i]) })
		if intentID != "" {
			e.completePayment(p.cust, intentID, true)
		}
	}

	outcomes := map[string]int{}
	for i, id := range ids {
		res, err := e.sagaResult(id)
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
		outcomes[res.Status+"/"+res.CancelReason]++
		if status, reason, _ := e.orderRow(id); status != res.Status || reason != res.CancelReason {
			t.Errorf("order %s: saga says %s (%s), database says %s (%s)", id, res.Status, res.CancelReason, status, reason)
		}
	}
	t.Logf("outcomes after the crash: %v", outcomes)
	// Evidence that the kill interrupted sagas: workflow tasks the dead worker held timed out
	// and were retried by the new one.
	interrupted := 0
	for _, id := range ids {
		if e.historyHas(workflows.CheckoutWorkflowID(id), enums.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) {
			interrupted++
		}
	}
	t.Logf("%d sagas had a workflow task time out on the killed worker", interrupted)
	if interrupted == 0 {
		t.Error("no saga lost a workflow task to the kill: it did not land mid-flight")
	}

	if n := e.count(`SELECT count(*) FROM orders WHERE status = 'placed'`); n == 0 {
		t.Error("no order was placed")
	}
	e.wantConsistent(ids, initial, true)
	// Stock ledger: retried steps after the kill wrote each movement once.
	e.wantStockLedgerBalanced()
}

// historyHas reports whether the workflow's history holds an event of type t.
func (e *env) historyHas(workflowID string, t enums.EventType) bool {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	it := e.temporal.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			e.t.Fatalf("history of %s: %v", workflowID, err)
		}
		if ev.GetEventType() == t {
			return true
		}
	}
	return false
}

// workerProcess is `shopflow worker` running as a child process.
type workerProcess struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
}

// startWorkerProcess starts `shopflow worker` with the deployment's configuration (and no other
// SHOPFLOW_* variable from the test's environment). It is killed when the test ends; its output
// is shown when the test fails.
func startWorkerProcess(t *testing.T, bin string, environ []string) *workerProcess {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SHOPFLOW_") {
			env = append(env, kv)
		}
	}
	w := &workerProcess{t: t, cmd: exec.Command(bin, "worker"), out: &lockedBuffer{}, done: make(chan struct{})}
	w.cmd.Env = append(env, environ...)
	w.cmd.Stdout, w.cmd.Stderr = w.out, w.out
	dieWithTests(w.cmd)
	if err := w.cmd.Start(); err != nil {
		t.Fatalf("start %s worker: %v", bin, err)
	}
	go func() {
		_ = w.cmd.Wait()
		close(w.done)
	}()
	t.Cleanup(func() {
		w.kill()
		if out := w.out.String(); t.Failed() && out != "" {
			t.Logf("output of worker process %d:\n%s", w.cmd.Process.Pid, out)
		}
	})
	return w
}

// kill sends SIGKILL to the worker process by its PID and waits for it to be gone.
func (w *workerProcess) kill() {
	select {
	case <-w.done:
		return
	default:
	}
	if err := w.cmd.Process.Kill(); err != nil {
		w.t.Errorf("kill worker process %d: %v", w.cmd.Process.Pid, err)
	}
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		w.t.Errorf("worker process %d still alive 10s after SIGKILL", w.cmd.Process.Pid)
	}
}

// lockedBuffer collects a process's output; the process writes while the test may read.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
