package workflows

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/payment"
	"shopflow/store"
)

// placesAfterScreen mocks a saga's steps to a placed order; screened says whether the fraud
// screen is expected to run (Once) or not to run at all (Never).
func placesAfterScreen(env *testsuite.TestWorkflowEnvironment, screened bool) {
	env.OnActivity(a.ReserveInventory, mock.Anything, mock.Anything).Return(reserved(), nil).Once()
	screen := env.OnActivity(a.ScreenOrder, mock.Anything, mock.Anything).Return(activities.ScreenResult{Decision: store.FraudAllow}, nil)
	if screened {
		screen.Once()
	} else {
		screen.Never()
	}
	env.OnActivity(a.ChargePayment, mock.Anything, mock.Anything).Return(charged(payment.StatusSucceeded), nil).Once()
	env.OnActivity(a.ConfirmOrder, mock.Anything, mock.Anything).Return(activities.ConfirmResult{Placed: true, Status: store.OrderPlaced}, nil).Once()
}

// A new saga screens on the strength of its one version marker (screenedVersion): it never
// asks for fraudScreenChange, whose marker would cost the server a second visibility write.
func TestNewCheckoutScreensOnOneVersionMarker(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnGetVersion(fraudScreenChange, workflow.DefaultVersion, 1).Return(workflow.Version(1)).Never()
	placesAfterScreen(env, true)
	env.ExecuteWorkflow(Checkout, input())
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderPlaced {
		t.Fatalf("result %+v", r)
	}
}

// Sagas recorded at cancelUpdateChange version 1 screen as their histories say: with a
// fraudScreenChange marker they screen, without one (recorded before the screen) they go
// straight to charging.
func TestVersionOneCheckoutScreensByItsOwnMarker(t *testing.T) {
	for _, tc := range []struct {
		name     string
		marker   workflow.Version
		screened bool
	}{
		{"with the fraud-screen marker", 1, true},
		{"recorded before the screen", workflow.DefaultVersion, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newCheckoutEnv(t)
			env.OnGetVersion(cancelUpdateChange, workflow.DefaultVersion, screenedVersion).Return(workflow.Version(1)).Once()
			env.OnGetVersion(fraudScreenChange, workflow.DefaultVersion, 1).Return(tc.marker).Once()
			placesAfterScreen(env, tc.screened)
			env.ExecuteWorkflow(Checkout, input())
			if r := completed[CheckoutResult](t, env); r.Status != store.OrderPlaced {
				t.Fatalf("result %+v", r)
			}
		})
	}
}
