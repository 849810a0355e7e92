package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
)

// Announcing signals-with-start promotion-announce-<id>: a running announcement is told the
// start time rather than doubled, a closed one may run again, and the input carries the batch
// size from config.
func TestPromotionsAnnounceSignalsWithStart(t *testing.T) {
	t.Parallel()
	starts := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	c := &mocks.Client{}
	c.On("SignalWithStartWorkflow", mock.Anything, "promotion-announce-42", SignalAnnouncementStartsAt, starts,
		mock.MatchedBy(func(o client.StartWorkflowOptions) bool {
			return o.ID == "promotion-announce-42" && o.TaskQueue == "q" &&
				o.WorkflowIDReusePolicy == enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
		}), AnnouncePromotionWorkflowName, AnnouncePromotionInput{PromotionID: 42, StartsAt: starts, BatchSize: 50}).
		Return(&mocks.WorkflowRun{}, nil).Twice()
	p := &Promotions{Client: c, TaskQueue: "q", BatchSize: 50}
	for range 2 {
		if err := p.AnnouncePromotion(context.Background(), 42, starts); err != nil {
			t.Fatal(err)
		}
	}
	c.AssertExpectations(t)
}

func TestPromotionsAnnounceReportsTemporalErrors(t *testing.T) {
	t.Parallel()
	down := errors.New("connection refused")
	c := &mocks.Client{}
	c.On("SignalWithStartWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Return(nil, down)
	p := &Promotions{Client: c, TaskQueue: "q"}
	if err := p.AnnouncePromotion(context.Background(), 42, time.Now()); !errors.Is(err, down) {
		t.Errorf("err = %v, want the client's", err)
	}
}
