package workflows

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// Promotions starts promotion announcements; the API holds one (api.PromotionAnnouncer).
type Promotions struct {
	Client    client.Client
	TaskQueue string
	// BatchSize is how many customers one step of an announcement tells
	// (SHOPFLOW_PROMOTION_BATCH_SIZE); zero is DefaultPromotionBatchSize.
	BatchSize int
}

// AnnouncePromotion starts the announcement of the promotion as workflow
// promotion-announce-<id>, which waits until startsAt before telling anyone. If one is running
// (waiting or sending), it is told the start time instead of a second being started: one moved
// earlier is announced then, one moved later is found so when the first wakes. A finished
// announcement is run again (a promotion reactivated, announced anew): the notification keys
// <user id>:promotion:<id>:<channel> make it tell only customers not told before.
func (p *Promotions) AnnouncePromotion(ctx context.Context, promotionID int64, startsAt time.Time) error {
	in := AnnouncePromotionInput{PromotionID: promotionID, StartsAt: startsAt, BatchSize: p.BatchSize}
	_, err := p.Client.SignalWithStartWorkflow(ctx, AnnouncePromotionWorkflowID(promotionID), SignalAnnouncementStartsAt, startsAt,
		AnnouncePromotionStartOptions(promotionID, p.TaskQueue), AnnouncePromotionWorkflowName, in)
	if err != nil {
		return fmt.Errorf("announce promotion %d: %w", promotionID, err)
	}
	return nil
}

// AnnouncementProgress answers the announcement's progress (its latest run's, counting every
// run before it).
func (p *Promotions) AnnouncementProgress(ctx context.Context, promotionID int64) (AnnouncePromotionResult, error) {
	var res AnnouncePromotionResult
	v, err := p.Client.QueryWorkflow(ctx, AnnouncePromotionWorkflowID(promotionID), "", QueryAnnouncementProgress)
	if err != nil {
		return res, fmt.Errorf("query announcement of promotion %d: %w", promotionID, err)
	}
	if err := v.Get(&res); err != nil {
		return res, fmt.Errorf("query announcement of promotion %d: %w", promotionID, err)
	}
	return res, nil
}

// AnnouncePromotionStartOptions start the announcement of a promotion as
// promotion-announce-<id>. Signal-with-start never starts a second run beside a running one;
// a closed one may run again (ALLOW_DUPLICATE), which its idempotent sends make harmless.
func AnnouncePromotionStartOptions(promotionID int64, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                    AnnouncePromotionWorkflowID(promotionID),
		TaskQueue:             taskQueue,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}
}
