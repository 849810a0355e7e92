package activities

import (
	"context"

	"shopflow/store"
)

// Returns is what the return workflow does to the shop: tell people, expire, and read what
// came back for the refund. Refunds themselves are the Refunds activities'.
type Returns struct {
	Store *store.Store
}

// NotifyReturnInput tells a return's customer and seller about one event.
type NotifyReturnInput struct {
	ReturnID string
	// Event is a return status or store.ReturnEventRefundFailed.
	Event string
	// Seq tells repeated events apart (refund failures); it is part of the notice's key.
	Seq    int
	Detail string
}

// NotifyReturnResult is empty: the notices are queued.
type NotifyReturnResult struct{}

// NotifyReturn queues the event's notices, once per return, event and Seq.
func (a *Returns) NotifyReturn(ctx context.Context, in NotifyReturnInput) (NotifyReturnResult, error) {
	err := a.Store.QueueReturnNotices(ctx, store.ReturnNotice{ReturnID: in.ReturnID, Event: in.Event, Seq: in.Seq, Detail: in.Detail})
	return NotifyReturnResult{}, err
}

// ExpireReturnInput names the return whose time ran out.
type ExpireReturnInput struct {
	ReturnID string
}

// ExpireReturnResult says whether the return expired, and its status either way.
type ExpireReturnResult struct {
	Expired bool
	Status  string
}

// ExpireReturn expires the return unless it moved on meanwhile (the system acts: no actor).
func (a *Returns) ExpireReturn(ctx context.Context, in ExpireReturnInput) (ExpireReturnResult, error) {
	r, expired, err := a.Store.ExpireReturn(ctx, in.ReturnID)
	if err != nil {
		return ExpireReturnResult{}, err
	}
	return ExpireReturnResult{Expired: expired, Status: r.Status}, nil
}

// ReturnRefundLinesInput names a received return.
type ReturnRefundLinesInput struct {
	ReturnID string
}

// ReturnRefundLinesResult is what to refund: the received units of each line.
type ReturnRefundLinesResult struct {
	OrderID string
	Status  string
	Lines   []store.RefundLine
}

// ReturnRefundLines reads the return's received quantities, the lines its refund covers.
func (a *Returns) ReturnRefundLines(ctx context.Context, in ReturnRefundLinesInput) (ReturnRefundLinesResult, error) {
	r, err := a.Store.ReturnByID(ctx, in.ReturnID)
	if err != nil {
		return ReturnRefundLinesResult{}, err
	}
	out := ReturnRefundLinesResult{OrderID: r.OrderID, Status: r.Status}
	for _, l := range r.Lines {
		if l.ReceivedQuantity > 0 {
			out.Lines = append(out.Lines, store.RefundLine{LineNo: l.LineNo, Quantity: l.ReceivedQuantity})
		}
	}
	return out, nil
}
