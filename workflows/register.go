package workflows

import "go.temporal.io/sdk/workflow"

// Registry is where workflows are registered: a worker, a replayer or a test environment.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Register registers every Shopflow workflow under its stable type name. It is the one list of
// workflow types: the worker and the replay tests both use it, so a history recorded in
// production replays against exactly what the worker runs.
func Register(r Registry) {
	for _, w := range []struct {
		fn   any
		name string
	}{
		{Checkout, CheckoutWorkflowName},
		{ReservationSweep, SweepWorkflowName},
		{IngestBatch, IngestBatchWorkflowName},
		{IngestInbox, IngestInboxWorkflowName},
		{TopSellers, TopSellersWorkflowName},
		{Recommendations, RecommendationsWorkflowName},
		{DailyReport, DailyReportWorkflowName},
		{SellerDigest, SellerDigestWorkflowName},
		{DeliverOutbox, DeliverOutboxWorkflowName},
		{ExpireIdempotencyKeys, ExpireIdempotencyKeysWorkflowName},
		{IndexSearch, IndexSearchWorkflowName},
		{ReindexSearch, ReindexSearchWorkflowName},
		{RefreshSearchStats, RefreshSearchStatsWorkflowName},
		{AnnouncePromotion, AnnouncePromotionWorkflowName},
		{Return, ReturnWorkflowName},
		{IssueRefund, IssueRefundWorkflowName},
		{CancelPlaced, CancelPlacedWorkflowName},
		{AuditRetention, AuditRetentionWorkflowName},
		{ExportCustomerData, ExportCustomerDataWorkflowName},
		{EraseCustomer, EraseCustomerWorkflowName},
	} {
		r.RegisterWorkflowWithOptions(w.fn, workflow.RegisterOptions{Name: w.name})
	}
}
