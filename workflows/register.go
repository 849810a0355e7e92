package workflows

import "go.temporal.io/sdk/workflow"

// Registry is where workflows are registered: a worker, a replayer or a test environment.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Register registers every Shopflow workflow under its stable type name: the replay tests use
// it, so a history recorded in production replays against exactly what the workers run.
func Register(r Registry) {
	RegisterCheckout(r)
	RegisterBatch(r)
}

// RegisterCheckout registers the workflows of the checkout task queue: the saga (with its
// fraud review), what changes a placed order, the order notifications' drain, and the sweep
// that releases dead sagas' stock and restarts stale ones (it runs the saga's activities and
// starts sagas, so it lives where they do).
func RegisterCheckout(r Registry) {
	register(r, []registration{
		{Checkout, CheckoutWorkflowName},
		{ReservationSweep, SweepWorkflowName},
		{CancelPlaced, CancelPlacedWorkflowName},
		{IssueRefund, IssueRefundWorkflowName},
		{Return, ReturnWorkflowName},
		{DeliverOutbox, DeliverOutboxWorkflowName},
	})
}

// RegisterBatch registers the workflows of the batch task queue: work nobody waits on at the
// till. The digests the report and the ranking start are children on this queue too.
func RegisterBatch(r Registry) {
	register(r, []registration{
		{IngestBatch, IngestBatchWorkflowName},
		{IngestInbox, IngestInboxWorkflowName},
		{TopSellers, TopSellersWorkflowName},
		{Recommendations, RecommendationsWorkflowName},
		{DailyReport, DailyReportWorkflowName},
		{SellerDigest, SellerDigestWorkflowName},
		{ExpireIdempotencyKeys, ExpireIdempotencyKeysWorkflowName},
		{IndexSearch, IndexSearchWorkflowName},
		{ReindexSearch, ReindexSearchWorkflowName},
		{RefreshSearchStats, RefreshSearchStatsWorkflowName},
		{AnnouncePromotion, AnnouncePromotionWorkflowName},
		{AuditRetention, AuditRetentionWorkflowName},
		{ExportCustomerData, ExportCustomerDataWorkflowName},
		{EraseCustomer, EraseCustomerWorkflowName},
	})
}

// registration is one workflow function and its stable type name.
type registration struct {
	fn   any
	name string
}

func register(r Registry, all []registration) {
	for _, w := range all {
		r.RegisterWorkflowWithOptions(w.fn, workflow.RegisterOptions{Name: w.name})
	}
}
