package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

var recsActs *activities.Recommendations

func newRecsEnv(t *testing.T, startedAt time.Time) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	env := newTestEnv()
	env.RegisterWorkflowWithOptions(Recommendations, workflow.RegisterOptions{Name: RecommendationsWorkflowName})
	env.RegisterActivity(&activities.Recommendations{})
	env.SetStartTime(startedAt)
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

// A scheduled run counts up to its scheduled time (not its late start), then publishes the
// changed lists only; the input's zero settings take the defaults.
func TestRecommendationsCountsThenPublishesChanged(t *testing.T) {
	t.Parallel()
	scheduled := time.Date(2026, 11, 21, 9, 5, 0, 0, time.UTC)
	env := newRecsEnv(t, scheduled.Add(40*time.Minute))
	if err := env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(searchScheduledStartTime.ValueSet(scheduled))); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 8, 24, 0, 0, 0, 0, time.UTC)
	env.OnActivity(recsActs.CountRecommendationSales, mock.Anything, activities.CountRecsInput{AsOf: scheduled, WindowDays: DefaultRecsWindowDays}).
		Return(activities.CountRecsResult{WindowStart: start, Lines: 40, Expired: 3}, nil).Once()
	env.OnActivity(recsActs.PublishRecommendations, mock.Anything, activities.PublishRecsInput{
		WindowDays: DefaultRecsWindowDays, MinSupport: DefaultRecsMinSupport, N: DefaultRecsN, GeneratedAt: scheduled}).
		Return(activities.PublishRecsResult{Written: 7, Removed: 1, Products: 12}, nil).Once()
	env.ExecuteWorkflow(Recommendations, RecommendationsInput{Interval: time.Hour})
	r := completed[RecommendationsResult](t, env)
	want := RecommendationsResult{AsOf: scheduled, WindowStart: start, Lines: 40, Expired: 3, Written: 7, Removed: 1, Products: 12}
	if r != want {
		t.Fatalf("result %+v, want %+v", r, want)
	}
}

// Every list is republished by the first run of a UTC day, and by a run asked to; a run by
// hand ends its window at In.At.
func TestRecommendationsRepublishesAll(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		at   time.Time
		all  bool
	}{
		{"first run of the day", time.Date(2026, 11, 21, 0, 5, 0, 0, time.UTC), false},
		{"asked to", time.Date(2026, 11, 21, 13, 37, 0, 0, time.UTC), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newRecsEnv(t, tc.at.Add(time.Hour))
			env.OnActivity(recsActs.CountRecommendationSales, mock.Anything, activities.CountRecsInput{AsOf: tc.at, WindowDays: 30}).
				Return(activities.CountRecsResult{}, nil).Once()
			env.OnActivity(recsActs.PublishRecommendations, mock.Anything, activities.PublishRecsInput{
				WindowDays: 30, MinSupport: 2, N: 5, GeneratedAt: tc.at, All: true}).
				Return(activities.PublishRecsResult{Written: 100, Products: 100}, nil).Once()
			env.ExecuteWorkflow(Recommendations, RecommendationsInput{WindowDays: 30, MinSupport: 2, N: 5, Interval: time.Hour, At: tc.at, All: tc.all})
			if r := completed[RecommendationsResult](t, env); !r.All || r.Written != 100 {
				t.Fatalf("result %+v, want every list republished", r)
			}
		})
	}
}

// A failing step fails the run with its error, and nothing after it runs: counts that could
// not be updated are not published.
func TestRecommendationsFailures(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 21, 9, 5, 0, 0, time.UTC)
	t.Run("count", func(t *testing.T) {
		t.Parallel()
		env := newRecsEnv(t, at)
		env.OnActivity(recsActs.CountRecommendationSales, mock.Anything, mock.Anything).
			Return(activities.CountRecsResult{}, temporal.NewNonRetryableApplicationError("no db", "Misconfigured", nil)).Once()
		env.ExecuteWorkflow(Recommendations, RecommendationsInput{At: at})
		var appErr *temporal.ApplicationError
		if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != "Misconfigured" {
			t.Fatalf("error %v, want the count's Misconfigured", err)
		}
	})
	t.Run("publish", func(t *testing.T) {
		t.Parallel()
		env := newRecsEnv(t, at)
		env.OnActivity(recsActs.CountRecommendationSales, mock.Anything, mock.Anything).Return(activities.CountRecsResult{Lines: 5}, nil).Once()
		env.OnActivity(recsActs.PublishRecommendations, mock.Anything, mock.Anything).
			Return(activities.PublishRecsResult{}, temporal.NewNonRetryableApplicationError("no redis", "Misconfigured", nil)).Once()
		env.ExecuteWorkflow(Recommendations, RecommendationsInput{At: at})
		var appErr *temporal.ApplicationError
		if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != "Misconfigured" {
			t.Fatalf("error %v, want the publication's Misconfigured", err)
		}
	})
}

// A run with no scheduled time and no At ends its window at its own start.
func TestRecommendationsByHandAtItsStart(t *testing.T) {
	t.Parallel()
	started := time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)
	env := newRecsEnv(t, started)
	env.OnActivity(recsActs.CountRecommendationSales, mock.Anything, activities.CountRecsInput{AsOf: started, WindowDays: 7}).
		Return(activities.CountRecsResult{}, nil).Once()
	env.OnActivity(recsActs.PublishRecommendations, mock.Anything, mock.Anything).Return(activities.PublishRecsResult{}, nil).Once()
	env.ExecuteWorkflow(Recommendations, RecommendationsInput{WindowDays: 7, Interval: time.Hour})
	if r := completed[RecommendationsResult](t, env); !r.AsOf.Equal(started) || r.All {
		t.Fatalf("result %+v, want the window ending at the start, changed lists only", r)
	}
}
