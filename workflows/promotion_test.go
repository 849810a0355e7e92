package workflows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

var promoActs *activities.Promotions

var promoT0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

// fakeAudience answers the announcement's activities over an in-memory list of opted-in
// customers and records when the promotion was checked and who was told.
type fakeAudience struct {
	env *testsuite.TestWorkflowEnvironment
	ids []string

	mu      sync.Mutex
	told    map[string]int
	checks  []time.Time // workflow time of each CheckPromotion
	batches []activities.AnnounceBatchInput
	// check answers each CheckPromotion in turn (the last one repeats); default ready.
	check []activities.CheckPromotionResult
	// batchStatus, when set, answers the status of the n-th batch (0-based).
	batchStatus func(n int) string
}

func newFakeAudience(n int) *fakeAudience {
	f := &fakeAudience{told: map[string]int{}}
	for i := range n {
		f.ids = append(f.ids, fmt.Sprintf("user-%04d", i))
	}
	return f
}

func (f *fakeAudience) checkPromotion(_ context.Context, _ activities.CheckPromotionInput) (activities.CheckPromotionResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks = append(f.checks, f.env.Now())
	if len(f.check) == 0 {
		return activities.CheckPromotionResult{Status: activities.PromotionReady}, nil
	}
	r := f.check[0]
	if len(f.check) > 1 {
		f.check = f.check[1:]
	}
	return r, nil
}

func (f *fakeAudience) announceBatch(_ context.Context, in activities.AnnounceBatchInput) (activities.AnnounceBatchResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.batches)
	f.batches = append(f.batches, in)
	if f.batchStatus != nil {
		if s := f.batchStatus(n); s != activities.PromotionReady {
			return activities.AnnounceBatchResult{Status: s}, nil
		}
	}
	i, found := slices.BinarySearch(f.ids, in.After)
	if found {
		i++
	}
	page := f.ids[i:min(i+in.Limit, len(f.ids))]
	res := activities.AnnounceBatchResult{Status: activities.PromotionReady, Customers: len(page), Sent: len(page)}
	for _, id := range page {
		f.told[id]++
		res.Last = id
	}
	return res, nil
}

// newAnnounceEnv is a test environment for one AnnouncePromotion run against f, starting at
// promoT0 (or at the given time).
func newAnnounceEnv(f *fakeAudience, start time.Time) *testsuite.TestWorkflowEnvironment {
	env := newTestEnv()
	env.RegisterWorkflowWithOptions(AnnouncePromotion, workflow.RegisterOptions{Name: AnnouncePromotionWorkflowName})
	env.RegisterActivity(promoActs)
	env.OnActivity(promoActs.CheckPromotion, mock.Anything, mock.Anything).Return(f.checkPromotion)
	env.OnActivity(promoActs.AnnounceBatch, mock.Anything, mock.Anything).Return(f.announceBatch)
	env.SetStartTime(start)
	f.env = env
	return env
}

// runAnnouncement runs one run and returns its result, or the input it continued as new with.
func runAnnouncement(t *testing.T, env *testsuite.TestWorkflowEnvironment, in AnnouncePromotionInput) (AnnouncePromotionResult, *AnnouncePromotionInput) {
	t.Helper()
	env.ExecuteWorkflow(AnnouncePromotionWorkflowName, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if errors.As(err, &can) {
		if can.WorkflowType.Name != AnnouncePromotionWorkflowName {
			t.Fatalf("continued as %q", can.WorkflowType.Name)
		}
		var next AnnouncePromotionInput
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
			t.Fatal(err)
		}
		return AnnouncePromotionResult{}, &next
	}
	if err != nil {
		t.Fatalf("workflow error: %v", err)
	}
	var res AnnouncePromotionResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res, nil
}

// Nothing is checked or sent before the promotion starts; the progress query says it waits.
func TestAnnouncePromotionWaitsUntilStart(t *testing.T) {
	f := newFakeAudience(3)
	env := newAnnounceEnv(f, promoT0)
	var during AnnouncePromotionResult
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryAnnouncementProgress)
		if err != nil {
			t.Errorf("query: %v", err)
			return
		}
		if err := v.Get(&during); err != nil {
			t.Error(err)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.checks)+len(f.batches) != 0 {
			t.Errorf("an hour before the start: %d checks, %d batches", len(f.checks), len(f.batches))
		}
	}, 2*time.Hour)
	res, next := runAnnouncement(t, env, AnnouncePromotionInput{PromotionID: 7, StartsAt: promoT0.Add(3 * time.Hour)})
	if next != nil {
		t.Fatal("continued as new")
	}
	if during.Phase != AnnouncementWaiting || during.PromotionID != 7 {
		t.Errorf("progress while waiting = %+v", during)
	}
	if len(f.checks) != 1 || f.checks[0].Before(promoT0.Add(3*time.Hour)) {
		t.Errorf("checked at %v, want once at the start %v", f.checks, promoT0.Add(3*time.Hour))
	}
	if res.Phase != AnnouncementDone || res.Outcome != AnnouncementAnnounced || res.Customers != 3 || res.Sent != 3 || res.Batches != 1 {
		t.Errorf("result = %+v, want 3 customers announced in one batch", res)
	}
	if f.batches[0].PromotionID != 7 || f.batches[0].Limit != DefaultPromotionBatchSize {
		t.Errorf("batch = %+v, want promotion 7 by %d", f.batches[0], DefaultPromotionBatchSize)
	}
}

// A promotion deactivated (or withdrawn, ended, deleted) before it starts tells nobody.
func TestAnnouncePromotionDeactivatedSendsNothing(t *testing.T) {
	for _, status := range []string{activities.PromotionInactive, activities.PromotionNotAnnounced, activities.PromotionEnded, activities.PromotionNotFound} {
		t.Run(status, func(t *testing.T) {
			f := newFakeAudience(3)
			f.check = []activities.CheckPromotionResult{{Status: status}}
			env := newAnnounceEnv(f, promoT0)
			res, _ := runAnnouncement(t, env, AnnouncePromotionInput{PromotionID: 7, StartsAt: promoT0.Add(time.Hour)})
			if len(f.batches) != 0 || len(f.told) != 0 {
				t.Errorf("%d batches sent for a promotion %s", len(f.batches), status)
			}
			if res.Phase != AnnouncementDone || res.Outcome != status || res.Sent != 0 {
				t.Errorf("result = %+v, want done with outcome %s", res, status)
			}
		})
	}
}

// A promotion moved later is waited for again; a start time signaled to a waiting
// announcement (moved earlier) wakes it then.
func TestAnnouncePromotionFollowsAMovedStart(t *testing.T) {
	t.Run("later", func(t *testing.T) {
		f := newFakeAudience(2)
		later := promoT0.Add(5 * time.Hour)
		f.check = []activities.CheckPromotionResult{{Status: activities.PromotionNotYet, StartsAt: later}, {Status: activities.PromotionReady, StartsAt: later}}
		env := newAnnounceEnv(f, promoT0)
		res, _ := runAnnouncement(t, env, AnnouncePromotionInput{PromotionID: 7, StartsAt: promoT0.Add(time.Hour)})
		if len(f.checks) != 2 || f.checks[1].Before(later) {
			t.Errorf("checked at %v, want at the first start and again at %v", f.checks, later)
		}
		if res.Outcome != AnnouncementAnnounced || res.Sent != 2 {
			t.Errorf("result = %+v", res)
		}
	})
	t.Run("earlier", func(t *testing.T) {
		f := newFakeAudience(2)
		earlier := promoT0.Add(2 * time.Hour)
		env := newAnnounceEnv(f, promoT0)
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalAnnouncementStartsAt, earlier) }, time.Hour)
		res, _ := runAnnouncement(t, env, AnnouncePromotionInput{PromotionID: 7, StartsAt: promoT0.Add(10 * time.Hour)})
		if len(f.checks) != 1 || f.checks[0].Before(earlier) || f.checks[0].After(earlier.Add(time.Minute)) {
			t.Errorf("checked at %v, want once at the new start %v", f.checks, earlier)
		}
		if res.Outcome != AnnouncementAnnounced || res.Sent != 2 {
			t.Errorf("result = %+v", res)
		}
	})
}

// Batches page through every customer, continuing as new every BatchesPerRun batches with the
// cursor and the totals, until a short batch ends the announcement; nobody is told twice.
func TestAnnouncePromotionBatchesAndContinuesAsNew(t *testing.T) {
	f := newFakeAudience(23)
	in := AnnouncePromotionInput{PromotionID: 7, StartsAt: promoT0.Add(time.Hour), BatchSize: 5, BatchesPerRun: 2}
	var continued []AnnouncePromotionInput
	var res AnnouncePromotionResult
	for range 100 {
		r, next := runAnnouncement(t, newAnnounceEnv(f, promoT0), in)
		if next == nil {
			res = r
			break
		}
		continued = append(continued, *next)
		in = *next
	}
	// 23 customers by 5, two batches a run: runs of 10, 10, then 3 (a short batch ends it).
	if len(continued) != 2 {
		t.Fatalf("continued as new %d times, want 2", len(continued))
	}
	for i, c := range continued {
		if want := f.ids[(i+1)*10-1]; c.Cursor != want || c.Totals.Cursor != want {
			t.Errorf("continuation %d cursor = %q, want %q", i, c.Cursor, want)
		}
		if !c.Started || c.Totals.Customers != (i+1)*10 || c.Totals.Runs != i+1 || c.BatchSize != 5 || c.PromotionID != 7 {
			t.Errorf("continuation %d = %+v", i, c)
		}
	}
	if len(f.checks) != 1 {
		t.Errorf("checked the promotion %d times, want once (continuations do not wait again)", len(f.checks))
	}
	for _, id := range f.ids {
		if f.told[id] != 1 {
			t.Errorf("customer %s told %d times, want 1", id, f.told[id])
		}
	}
	if res.Outcome != AnnouncementAnnounced || res.Customers != 23 || res.Sent != 23 || res.Batches != 5 || res.Runs != 3 {
		t.Errorf("result = %+v, want 23 customers in 5 batches over 3 runs", res)
	}
}

// A promotion deactivated while it is being announced stops the announcement after the
// batches already sent.
func TestAnnouncePromotionStopsWhenDeactivatedMidway(t *testing.T) {
	f := newFakeAudience(12)
	f.batchStatus = func(n int) string {
		if n >= 1 {
			return activities.PromotionInactive
		}
		return activities.PromotionReady
	}
	res, next := runAnnouncement(t, newAnnounceEnv(f, promoT0), AnnouncePromotionInput{PromotionID: 7, BatchSize: 5})
	if next != nil {
		t.Fatal("continued as new")
	}
	if res.Outcome != activities.PromotionInactive || res.Sent != 5 || len(f.told) != 5 || len(f.batches) != 2 {
		t.Errorf("result = %+v after %d batches, want stopped as inactive after the first 5", res, len(f.batches))
	}
}

func TestAnnouncePromotionWorkflowID(t *testing.T) {
	if got := AnnouncePromotionWorkflowID(42); got != "promotion-announce-42" {
		t.Errorf("id = %q", got)
	}
}
