package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/store"
)

// refund refunds the received units of the return: the refund is recorded once under the
// return's key, then issued; a refusal (by the provider, or of the refund itself) is recorded
// in the result, told to customer and seller, and waits for an admin's RetryRefundSignal.
// Issuing it successfully makes the return refunded (store.CompleteRefund).
func (w *returnRun) refund(ctx workflow.Context) error {
	var ra *activities.Returns
	var lines activities.ReturnRefundLinesResult
	if err := workflow.ExecuteActivity(ctx, ra.ReturnRefundLines, activities.ReturnRefundLinesInput{ReturnID: w.in.ReturnID}).
		Get(ctx, &lines); err != nil {
		return err
	}
	if len(lines.Lines) == 0 {
		return nil // nothing came back: nothing to refund, the return stays received
	}
	retries := workflow.GetSignalChannel(ctx, RetryRefundSignal)
	for {
		w.res.RefundAttempts++
		ok, failure, err := w.tryRefund(ctx, lines)
		if err != nil {
			return err
		}
		if ok {
			w.res.Status, w.res.RefundFailure = store.ReturnRefunded, ""
			return w.notify(ctx, store.ReturnRefunded, 0, "")
		}
		w.res.RefundFailure = failure
		if err := w.notify(ctx, store.ReturnEventRefundFailed, w.res.RefundAttempts, failure); err != nil {
			return err
		}
		var retry RetryRefund
		retries.Receive(ctx, &retry)
		if retry.Actor.AccountID != "" {
			w.receivedBy = retry.Actor
		}
	}
}

// tryRefund records the refund (once; the key makes a repeat return the same refund) and
// issues it. A business refusal is (false, reason, nil); only the workflow's own failures are
// errors.
func (w *returnRun) tryRefund(ctx workflow.Context, lines activities.ReturnRefundLinesResult) (bool, string, error) {
	var rf *activities.Refunds
	if w.res.RefundID == "" {
		var created activities.CreateRefundResult
		err := workflow.ExecuteActivity(ctx, rf.CreateRefund, activities.CreateRefundInput{OrderID: lines.OrderID,
			ReturnID: w.in.ReturnID, Kind: store.RefundForReturn, Key: ReturnRefundKey(w.in.ReturnID), Lines: lines.Lines,
			Actor: w.receivedBy}).Get(ctx, &created)
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.NonRetryable() {
			return false, fmt.Sprintf("the refund was refused: %s", appErr.Message()), nil
		}
		if err != nil {
			return false, "", err
		}
		w.res.RefundID = created.RefundID
		if created.Status == store.RefundSucceeded {
			return true, "", nil
		}
	}
	var issued activities.IssueRefundActivityResult
	err := workflow.ExecuteActivity(ctx, rf.IssueRefund, activities.IssueRefundActivityInput{RefundID: w.res.RefundID,
		Actor: w.receivedBy}).Get(ctx, &issued)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NonRetryable() {
		return false, appErr.Message(), nil
	}
	if err != nil {
		return false, "", err
	}
	if issued.Status == store.RefundSucceeded {
		return true, "", nil
	}
	return false, issued.FailureReason, nil
}
