package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/store"
)

// The sweep leaves the stock of an order whose saga still runs, voids the payment of an
// abandoned order before releasing it, releases an abandoned order that never paid, and starts
// the saga of an order left pending.
func TestReservationSweep(t *testing.T) {
	env := newTestEnv()
	env.RegisterWorkflowWithOptions(ReservationSweep, workflow.RegisterOptions{Name: SweepWorkflowName})
	var started []CheckoutInput
	env.RegisterWorkflowWithOptions(func(_ workflow.Context, in CheckoutInput) (CheckoutResult, error) {
		started = append(started, in)
		return CheckoutResult{Status: store.OrderPlaced}, nil
	}, workflowRegisterOptions())
	var sweep *activities.Sweep
	env.RegisterActivity(sweep)
	env.RegisterActivity(a)
	t.Cleanup(func() { env.AssertExpectations(t) })

	env.OnActivity(sweep.ExpiredReservations, mock.Anything, activities.ExpiredInput{Limit: 10}).Return(activities.ExpiredResult{Orders: []activities.ExpiredOrder{
		{OrderID: "live", IntentID: "pi_live"}, {OrderID: "paid", IntentID: "pi_paid"}, {OrderID: "unpaid"},
	}}, nil).Once()
	env.OnActivity(sweep.RunningWorkflows, mock.Anything, activities.RunningInput{WorkflowIDs: []string{
		CheckoutWorkflowID("live"), CheckoutWorkflowID("paid"), CheckoutWorkflowID("unpaid"),
	}}).Return(activities.RunningResult{Running: map[string]bool{CheckoutWorkflowID("live"): true}}, nil).Once()
	env.OnActivity(a.VoidPayment, mock.Anything, activities.VoidInput{OrderID: "paid", IntentID: "pi_paid"}).
		Return(activities.VoidResult{}, nil).Once()
	for _, id := range []string{"paid", "unpaid"} {
		env.OnActivity(a.ReleaseOrder, mock.Anything, activities.ReleaseInput{OrderID: id, Reason: store.ReasonReservationExpiry}).
			Return(activities.ReleaseResult{Canceled: true, Status: store.OrderCanceled}, nil).Once()
	}
	env.OnActivity(sweep.StalePendingOrders, mock.Anything, mock.Anything).
		Return(activities.StaleResult{Orders: []activities.StaleOrder{{OrderID: "stranded", CustomerID: "cust-1"}}}, nil).Once()

	env.ExecuteWorkflow(SweepWorkflowName, SweepInput{Limit: 10, PaymentTimeout: 20 * time.Minute})
	if r := completed[SweepResult](t, env); r != (SweepResult{Released: 2, Restarted: 1}) {
		t.Errorf("sweep result %+v, want 2 released and 1 restarted", r)
	}
	// The restarted saga waits for payment as long as the API's sagas do, not the default.
	if len(started) != 1 || started[0] != (CheckoutInput{OrderID: "stranded", CustomerID: "cust-1", PaymentTimeout: 20 * time.Minute}) {
		t.Errorf("sagas started: %+v, want the stranded order's with the configured payment timeout", started)
	}
	env.AssertNotCalled(t, "VoidPayment", mock.Anything, activities.VoidInput{OrderID: "live", IntentID: "pi_live"})
	env.AssertNotCalled(t, "ReleaseOrder", mock.Anything, activities.ReleaseInput{OrderID: "live", Reason: store.ReasonReservationExpiry})
}
