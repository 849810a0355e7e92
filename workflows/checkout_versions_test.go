package workflows

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
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

// A saga started with its version in the input (as Checkouts.Start starts every saga) records
// no version marker at all, and still screens.
func TestCheckoutStartedWithItsVersionRecordsNoMarker(t *testing.T) {
	env := newCheckoutEnv(t)
	env.OnGetVersion(cancelUpdateChange, workflow.DefaultVersion, screenedVersion).Return(screenedVersion).Never()
	env.OnGetVersion(fraudScreenChange, workflow.DefaultVersion, 1).Return(workflow.Version(1)).Never()
	placesAfterScreen(env, true)
	in := input()
	in.Version = screenedVersion
	env.ExecuteWorkflow(Checkout, in)
	if r := completed[CheckoutResult](t, env); r.Status != store.OrderPlaced {
		t.Fatalf("result %+v", r)
	}
}

// A worker that predates CheckoutInput.Version ignores it and records its own marker; a
// replay of such a history follows the marker, not the input. Recorded histories of version 1
// (with and without the fraud screen) and of version 2, their input given Version 2, replay
// as recorded: one of version 1 without the screen would fail if the input won.
func TestReplayFollowsTheMarkerOfAWorkerThatIgnoredTheVersion(t *testing.T) {
	for _, name := range []string{
		"checkout_release_first_placed_results", // cancel-update 1, recorded before the screen
		"checkout_fraud_review_approve_results", // cancel-update 1 and fraud-screen 1
		"checkout_placed_v2",                    // cancel-update 2
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, err := os.Open(filepath.Join("testdata", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			hist, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
			if err != nil {
				t.Fatal(err)
			}
			payload := hist.Events[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[0]
			var in map[string]any
			if err := json.Unmarshal(payload.Data, &in); err != nil {
				t.Fatal(err)
			}
			in["Version"] = int(screenedVersion)
			if payload.Data, err = json.Marshal(in); err != nil {
				t.Fatal(err)
			}
			r := worker.NewWorkflowReplayer()
			Register(r)
			if err := r.ReplayWorkflowHistory(replayLogger(), hist); err != nil {
				t.Errorf("replaying %s with Version %d in its input: %v", name, screenedVersion, err)
			}
		})
	}
}
