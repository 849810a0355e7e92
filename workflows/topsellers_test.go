package workflows

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/ranking"
)

var topSellersActs *activities.TopSellers

// newTopSellersEnv is a test environment for one TopSellers run that starts at startedAt.
func newTopSellersEnv(t *testing.T, startedAt time.Time) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	env := newTestEnv()
	env.RegisterWorkflowWithOptions(TopSellers, workflow.RegisterOptions{Name: TopSellersWorkflowName})
	env.RegisterActivity(&activities.TopSellers{})
	env.SetStartTime(startedAt)
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

// expectPublication expects exactly one publication, of window w, and answers it.
func expectPublication(env *testsuite.TestWorkflowEnvironment, w ranking.Window) {
	env.OnActivity(topSellersActs.PublishTopSellers, mock.Anything, activities.PublishInput{Window: activities.RankWindow{From: w.From, To: w.To}}).
		Return(activities.PublishResult{Generation: ranking.Generation(w.To, w.To.Add(time.Minute)), Current: true, Categories: 3, Sellers: 2}, nil).Once()
}

// The Schedule's run for 09:01 ranks the 24 hours up to 09:00, however late it starts, and a
// repeated run for the same scheduled time ranks the same hours.
func TestTopSellersRanksTheScheduledPeriod(t *testing.T) {
	t.Parallel()
	scheduled := time.Date(2026, 11, 21, 9, 1, 0, 0, time.UTC)
	want := ranking.Window{From: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name      string
		startedAt time.Time
	}{
		{"on time", scheduled.Add(2 * time.Second)},
		{"late, in the next hour", scheduled.Add(75 * time.Minute)},
		{"repeated the next day", scheduled.Add(26 * time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newTopSellersEnv(t, tc.startedAt)
			if err := env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(searchScheduledStartTime.ValueSet(scheduled))); err != nil {
				t.Fatal(err)
			}
			expectPublication(env, want)
			env.ExecuteWorkflow(TopSellers, TopSellersInput{Window: 24 * time.Hour})
			if r := completed[TopSellersResult](t, env); r.Window != want || !r.Current || r.Categories != 3 {
				t.Errorf("result %+v, want window %+v published", r, want)
			}
		})
	}
}

// Runs started by hand rank up to the hour they name, or the hour they start in.
func TestTopSellersByHandRanksTheHourItNames(t *testing.T) {
	t.Parallel()
	started := time.Date(2026, 11, 21, 9, 37, 12, 0, time.UTC)
	t.Run("its own start", func(t *testing.T) {
		t.Parallel()
		env := newTopSellersEnv(t, started)
		w := ranking.Window{From: time.Date(2026, 11, 19, 9, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
		expectPublication(env, w)
		env.ExecuteWorkflow(TopSellers, TopSellersInput{Window: 48 * time.Hour})
		if r := completed[TopSellersResult](t, env); r.Window != w {
			t.Errorf("window %+v, want %+v", r.Window, w)
		}
	})
	t.Run("the hour it names, default window", func(t *testing.T) {
		t.Parallel()
		env := newTopSellersEnv(t, started.Add(time.Hour)) // started in the next hour
		w := ranking.Window{From: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
		expectPublication(env, w)
		env.ExecuteWorkflow(TopSellers, TopSellersInput{At: started.Truncate(time.Hour)})
		if r := completed[TopSellersResult](t, env); r.Window != w {
			t.Errorf("window %+v, want %+v", r.Window, w)
		}
	})
}

// A failed publication fails the run, after the activity's retries.
func TestTopSellersFailsWhenPublishingFails(t *testing.T) {
	t.Parallel()
	env := newTopSellersEnv(t, time.Date(2026, 11, 21, 9, 1, 0, 0, time.UTC))
	env.OnActivity(topSellersActs.PublishTopSellers, mock.Anything, mock.Anything).
		Return(activities.PublishResult{}, temporal.NewNonRetryableApplicationError("redis down", "Test", nil)).Once()
	env.ExecuteWorkflow(TopSellers, TopSellersInput{})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() == nil {
		t.Fatal("the run succeeded without publishing")
	}
}

// Jobs names the run after the hour, reuses one running for it and reruns a finished one.
func TestJobsTriggerTopSellers(t *testing.T) {
	t.Parallel()
	c := &mocks.Client{}
	run := &mocks.WorkflowRun{}
	run.On("GetID").Return("topsellers-2026-11-21T09")
	now := time.Date(2026, 11, 21, 9, 59, 59, 0, time.FixedZone("CET", 3600)) // 08:59:59 UTC
	hour := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	c.On("ExecuteWorkflow", mock.Anything, mock.MatchedBy(func(o client.StartWorkflowOptions) bool {
		return o.ID == "topsellers-2026-11-21T08" && o.TaskQueue == "q" &&
			o.WorkflowIDReusePolicy == enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE &&
			o.WorkflowIDConflictPolicy == enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	}), TopSellersWorkflowName, TopSellersInput{Window: 24 * time.Hour, N: 10, At: hour}).Return(run, nil).Once()
	j := &Jobs{Client: c, TaskQueue: "q", Window: 24 * time.Hour, N: 10, Now: func() time.Time { return now }}
	id, err := j.TriggerTopSellers(context.Background())
	if err != nil || id != "topsellers-2026-11-21T09" {
		t.Fatalf("TriggerTopSellers: %q %v", id, err)
	}
	c.AssertExpectations(t)
	if got := TopSellersWorkflowID(hour); got != "topsellers-2026-11-21T08" {
		t.Errorf("TopSellersWorkflowID: %s", got)
	}
}

// With a rank-change threshold, the run asks the activity to record alerts and, when there are
// some, starts the rank-change digest of its period as an abandoned child; with none, no child.
func TestTopSellersStartsTheRankChangeDigest(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	w := ranking.WindowEnding(at, 24*time.Hour)
	for _, alerts := range []int{0, 3} {
		t.Run(fmt.Sprintf("%d alerts", alerts), func(t *testing.T) {
			t.Parallel()
			env := newTopSellersEnv(t, at)
			env.RegisterWorkflowWithOptions(SellerDigest, workflow.RegisterOptions{Name: SellerDigestWorkflowName})
			env.OnActivity(topSellersActs.PublishTopSellers, mock.Anything, activities.PublishInput{Window: activities.RankWindow{From: w.From, To: w.To}, RankChangeThreshold: 5}).
				Return(activities.PublishResult{Current: true, Sellers: 40, RankChanges: alerts}, nil).Once()
			var started []SellerDigestInput
			env.OnWorkflow(SellerDigestWorkflowName, mock.Anything, mock.Anything).Return(
				func(ctx workflow.Context, in SellerDigestInput) (SellerDigestResult, error) {
					if id := workflow.GetInfo(ctx).WorkflowExecution.ID; id != "rank-digest-2026-11-21T09:00:00Z" {
						t.Errorf("digest workflow id %q", id)
					}
					started = append(started, in)
					return SellerDigestResult{}, nil
				}).Maybe()
			env.ExecuteWorkflow(TopSellers, TopSellersInput{Window: 24 * time.Hour, At: at, RankChangeThreshold: 5})
			r := completed[TopSellersResult](t, env)
			if r.RankChanges != alerts {
				t.Errorf("result says %d rank changes, want %d", r.RankChanges, alerts)
			}
			want := []SellerDigestInput{{Kind: activities.DigestRankChange, Period: "2026-11-21T09:00:00Z"}}
			if alerts == 0 {
				want = nil
			}
			if !reflect.DeepEqual(started, want) {
				t.Fatalf("digests started %+v, want %+v", started, want)
			}
		})
	}
}
