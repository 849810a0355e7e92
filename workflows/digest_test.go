package workflows

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
)

// fakeSellers answers the digest's activities over an in-memory list of sellers and records
// what was sent and how many slices were ever in flight at once.
//
// In flight is counted without timing: the workflow's ExecuteActivity calls are counted in the
// workflow's own thread (an outbound interceptor, before the activity can run), and a send
// counts itself finished before its result can reach the workflow. So when the workflow starts
// a slice, scheduled - finished is exactly the slices it has running, however the goroutines
// of the test environment happen to interleave.
type fakeSellers struct {
	ids []string

	mu          sync.Mutex
	sent        map[string]int
	scheduled   int
	finished    int
	maxInFlight int
	lists       []activities.ListDigestSellersInput
	sends       []activities.SendDigestsInput
	periods     map[string]bool
}

// sendScheduled is called by the interceptor as the workflow starts a SendDigests activity.
func (f *fakeSellers) sendScheduled() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scheduled++
	f.maxInFlight = max(f.maxInFlight, f.scheduled-f.finished)
}

// inFlightCounter is a worker interceptor that tells f of every SendDigests the workflow starts.
type inFlightCounter struct {
	interceptor.WorkerInterceptorBase
	f *fakeSellers
}

func (c *inFlightCounter) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &inFlightInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, f: c.f}
}

type inFlightInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	f *fakeSellers
}

func (i *inFlightInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&inFlightOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, f: i.f})
}

type inFlightOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	f *fakeSellers
}

func (o *inFlightOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	if activityType == "SendDigests" {
		o.f.sendScheduled()
	}
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}

func newFakeSellers(n int) *fakeSellers {
	f := &fakeSellers{sent: map[string]int{}, periods: map[string]bool{}}
	for i := range n {
		f.ids = append(f.ids, fmt.Sprintf("seller-%04d", i))
	}
	return f
}

func (f *fakeSellers) list(_ context.Context, in activities.ListDigestSellersInput) (activities.ListDigestSellersResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists = append(f.lists, in)
	i, _ := slices.BinarySearch(f.ids, in.After)
	if in.After != "" && i < len(f.ids) && f.ids[i] == in.After {
		i++
	}
	return activities.ListDigestSellersResult{SellerIDs: slices.Clone(f.ids[i:min(i+in.Limit, len(f.ids))])}, nil
}

func (f *fakeSellers) send(_ context.Context, in activities.SendDigestsInput) (activities.SendDigestsResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finished++
	f.sends = append(f.sends, in)
	f.periods[in.Period] = true
	for _, id := range in.SellerIDs {
		f.sent[id]++
	}
	return activities.SendDigestsResult{Sellers: len(in.SellerIDs), Sent: len(in.SellerIDs)}, nil
}

// runDigest runs one SellerDigest run against f and returns its result or the input it
// continued as new with.
func runDigest(t *testing.T, f *fakeSellers, in SellerDigestInput) (SellerDigestResult, *SellerDigestInput) {
	t.Helper()
	env := newTestEnv()
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{&inFlightCounter{f: f}}})
	env.RegisterWorkflowWithOptions(SellerDigest, workflow.RegisterOptions{Name: SellerDigestWorkflowName})
	var a *activities.Digest
	env.RegisterActivity(a)
	env.OnActivity(a.ListDigestSellers, mock.Anything, mock.Anything).Return(f.list)
	env.OnActivity(a.SendDigests, mock.Anything, mock.Anything).Return(f.send)
	env.SetStartTime(time.Date(2026, 11, 21, 0, 15, 0, 0, time.UTC))
	env.ExecuteWorkflow(SellerDigestWorkflowName, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if errors.As(err, &can) {
		if can.WorkflowType.Name != SellerDigestWorkflowName {
			t.Fatalf("continued as %q", can.WorkflowType.Name)
		}
		var next SellerDigestInput
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
			t.Fatal(err)
		}
		return SellerDigestResult{}, &next
	}
	if err != nil {
		t.Fatalf("workflow error: %v", err)
	}
	var res SellerDigestResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res, nil
}

// runDigestChain follows continue-as-new to the end, as the server would.
func runDigestChain(t *testing.T, f *fakeSellers, in SellerDigestInput) (SellerDigestResult, []SellerDigestInput) {
	t.Helper()
	var continued []SellerDigestInput
	for range 1000 {
		res, next := runDigest(t, f, in)
		if next == nil {
			return res, continued
		}
		continued = append(continued, *next)
		in = *next
	}
	t.Fatal("digest never finished")
	return SellerDigestResult{}, nil
}

func TestSellerDigestBatchesAndContinuesAsNewWithCursor(t *testing.T) {
	f := newFakeSellers(23)
	res, continued := runDigestChain(t, f, SellerDigestInput{Period: "2026-11-20", BatchSize: 5, Concurrency: 2, SliceSize: 2})

	// 23 sellers in batches of 5: four full batches continue as new, the fifth (3) finishes.
	if len(continued) != 4 {
		t.Fatalf("continued as new %d times, want 4", len(continued))
	}
	for i, c := range continued {
		if want := f.ids[(i+1)*5-1]; c.Cursor != want {
			t.Errorf("continuation %d cursor = %q, want %q (last seller of the batch)", i, c.Cursor, want)
		}
		if c.Totals.Sellers != (i+1)*5 {
			t.Errorf("continuation %d carries %d sellers done, want %d", i, c.Totals.Sellers, (i+1)*5)
		}
		if c.Period != "2026-11-20" || c.BatchSize != 5 || c.Concurrency != 2 {
			t.Errorf("continuation %d lost its settings: %+v", i, c)
		}
	}
	for _, id := range f.ids {
		if f.sent[id] != 1 {
			t.Errorf("seller %s got %d digests, want 1", id, f.sent[id])
		}
	}
	if res.Sellers != 23 || res.Sent != 23 || res.Runs != 5 || res.Period != "2026-11-20" {
		t.Errorf("result = %+v, want 23 sellers sent over 5 runs", res)
	}
	if !slices.Equal(slices.Collect(maps.Keys(f.periods)), []string{"2026-11-20"}) {
		t.Errorf("periods sent: %v", f.periods)
	}
}

func TestSellerDigestRespectsConcurrency(t *testing.T) {
	for _, conc := range []int{1, 3} {
		t.Run(fmt.Sprint("concurrency ", conc), func(t *testing.T) {
			f := newFakeSellers(41)
			// A batch of 41 in slices of 2: 21 activities, conc at once (the first conc start
			// together), never more.
			res, _ := runDigestChain(t, f, SellerDigestInput{Period: "2026-11-20", BatchSize: 100, Concurrency: conc, SliceSize: 2})
			if f.maxInFlight != conc {
				t.Errorf("max in flight = %d, want %d", f.maxInFlight, conc)
			}
			if res.Sellers != 41 {
				t.Errorf("sellers = %d, want 41", res.Sellers)
			}
		})
	}
}

func TestSellerDigestBatchesPerRunAndExactMultiple(t *testing.T) {
	// 20 sellers, batches of 5, two per run: runs end after 10 and 20 sellers, and the third
	// run finds no sellers after the cursor and finishes.
	f := newFakeSellers(20)
	res, continued := runDigestChain(t, f, SellerDigestInput{Period: "2026-11-20", BatchSize: 5, BatchesPerRun: 2})
	if len(continued) != 2 || continued[0].Cursor != f.ids[9] || continued[1].Cursor != f.ids[19] {
		t.Fatalf("continuations = %+v", continued)
	}
	if res.Sellers != 20 || res.Runs != 3 {
		t.Errorf("result = %+v", res)
	}
}

func TestSellerDigestDefaultsToYesterday(t *testing.T) {
	f := newFakeSellers(3)
	res, _ := runDigestChain(t, f, SellerDigestInput{})
	if res.Period != "2026-11-20" {
		t.Errorf("period = %q, want the day before the start", res.Period)
	}
	if f.lists[0].Limit != DefaultDigestBatchSize {
		t.Errorf("batch size = %d, want default %d", f.lists[0].Limit, DefaultDigestBatchSize)
	}
}

func TestSellerDigestWorkflowID(t *testing.T) {
	if got := SellerDigestWorkflowID("2026-11-20"); got != "digest-2026-11-20" {
		t.Errorf("id = %q", got)
	}
	if o := SellerDigestStartOptions("2026-11-20", "q"); o.ID != "digest-2026-11-20" || o.TaskQueue != "q" {
		t.Errorf("options = %+v", o)
	}
}

// A rank-change digest lists and sends with its kind and period (the activities then read the
// alerted sellers, not all of them); one without a period fails at once instead of guessing.
func TestSellerDigestRankChangeKind(t *testing.T) {
	t.Parallel()
	f := newFakeSellers(3)
	res, next := runDigest(t, f, SellerDigestInput{Kind: activities.DigestRankChange, Period: "2026-11-21T09:00:00Z"})
	if next != nil || res.Sellers != 3 || res.Period != "2026-11-21T09:00:00Z" {
		t.Fatalf("result %+v, continued %v", res, next != nil)
	}
	f.mu.Lock()
	for _, in := range f.lists {
		if in.Kind != activities.DigestRankChange || in.Period != "2026-11-21T09:00:00Z" {
			t.Errorf("listed with %+v", in)
		}
	}
	for _, in := range f.sends {
		if in.Kind != activities.DigestRankChange || in.Period != "2026-11-21T09:00:00Z" {
			t.Errorf("sent with kind %q period %q", in.Kind, in.Period)
		}
	}
	f.mu.Unlock()

	env := newTestEnv()
	env.RegisterWorkflowWithOptions(SellerDigest, workflow.RegisterOptions{Name: SellerDigestWorkflowName})
	env.ExecuteWorkflow(SellerDigest, SellerDigestInput{Kind: activities.DigestRankChange})
	if err := env.GetWorkflowError(); err == nil || !strings.Contains(err.Error(), "period") {
		t.Fatalf("workflow error %v, want one about the missing period", err)
	}
}
