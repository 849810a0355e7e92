package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"shopflow/activities"
	"shopflow/audit"
	"shopflow/store"
)

// Registered types of the data rights workflows.
const (
	ExportCustomerDataWorkflowName = "ExportCustomerData"
	EraseCustomerWorkflowName      = "EraseCustomer"
)

// ExportWorkflowID is the workflow ID of a data export, e.g. export-<export id>.
func ExportWorkflowID(exportID string) string { return "export-" + exportID }

// EraseWorkflowID is the workflow ID of a customer's erasure, e.g. erase-<user id>.
func EraseWorkflowID(userID string) string { return "erase-" + userID }

// Outcomes of an export.
const (
	ExportOutcomeReady  = "ready"
	ExportOutcomeFailed = "failed"
)

// ExportCustomerDataInput names the export to build and how long its link works.
type ExportCustomerDataInput struct {
	ExportID string
	LinkTTL  time.Duration
}

// ExportCustomerDataResult says where the archive is and what it holds.
type ExportCustomerDataResult struct {
	Outcome    string
	StorageKey string
	Counts     map[string]int64
	Reason     string
}

// exportBuildAttempts bounds the retries of a build before the export is marked failed: a
// customer waiting for a link is better told it failed than left waiting forever.
const exportBuildAttempts = 5

// ExportCustomerData writes everything held about a customer to one archive (BuildExport),
// then makes the export ready with an expiring link and notifies the customer with it
// (FinishExport). A build that cannot succeed marks the export failed.
func ExportCustomerData(ctx workflow.Context, in ExportCustomerDataInput) (ExportCustomerDataResult, error) {
	var a *activities.DataRights
	buildCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Hour,
		HeartbeatTimeout:    2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{MaximumInterval: time.Minute, MaximumAttempts: exportBuildAttempts,
			NonRetryableErrorTypes: []string{activities.ErrExportRefused}},
	})
	quickCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
	})
	var built activities.BuildExportResult
	if err := workflow.ExecuteActivity(buildCtx, a.BuildExport, activities.BuildExportInput{ExportID: in.ExportID}).Get(ctx, &built); err != nil {
		reason := "the export could not be built; ask for a new one"
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.Type() == activities.ErrExportRefused {
			reason = "the account is being erased"
		}
		workflow.GetLogger(ctx).Error("export failed", "export_id", in.ExportID, "err", err)
		if ferr := workflow.ExecuteActivity(quickCtx, a.FailExport, activities.FailExportInput{ExportID: in.ExportID, Reason: reason}).Get(ctx, nil); ferr != nil {
			return ExportCustomerDataResult{}, fmt.Errorf("mark export %s failed: %w", in.ExportID, ferr)
		}
		return ExportCustomerDataResult{Outcome: ExportOutcomeFailed, Reason: reason}, nil
	}
	finish := activities.FinishExportInput{ExportID: in.ExportID, StorageKey: built.StorageKey, Counts: built.Counts,
		Rows: built.Rows, LinkTTL: in.LinkTTL}
	if err := workflow.ExecuteActivity(quickCtx, a.FinishExport, finish).Get(ctx, nil); err != nil {
		return ExportCustomerDataResult{}, fmt.Errorf("finish export %s: %w", in.ExportID, err)
	}
	return ExportCustomerDataResult{Outcome: ExportOutcomeReady, StorageKey: built.StorageKey, Counts: built.Counts}, nil
}

// EraseCustomerInput names the customer to erase and who asked (for the audit record).
type EraseCustomerInput struct {
	UserID string
	Actor  audit.Actor
}

// EraseCustomerResult counts what each step removed; Resumed lists the steps a previous run
// had done.
type EraseCustomerResult struct {
	Counts  map[string]int64
	Resumed []string
}

// EraseCustomer removes or anonymises a customer's personal data everywhere we keep it, one
// idempotent step at a time in store.ErasureSteps order, each recorded in the erasure's row, so
// a run that crashed (or a new run after a failed one) skips what is done and resumes. It ends
// with the audit record of what was done. No confirmation is sent: the address is what is
// being erased, and a message would leave it in the send log again.
func EraseCustomer(ctx workflow.Context, in EraseCustomerInput) (EraseCustomerResult, error) {
	var a *activities.DataRights
	stepCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: 5 * time.Minute},
	})
	res := EraseCustomerResult{Counts: map[string]int64{}}
	for _, step := range store.ErasureSteps {
		var r activities.EraseStepResult
		if err := workflow.ExecuteActivity(stepCtx, a.EraseStep, activities.EraseStepInput{UserID: in.UserID, Step: step}).Get(ctx, &r); err != nil {
			return res, fmt.Errorf("erase %s of %s: %w", step, in.UserID, err)
		}
		res.Counts[step] = r.Count
		if r.Skipped {
			res.Resumed = append(res.Resumed, step)
		}
	}
	var fin activities.FinishErasureResult
	if err := workflow.ExecuteActivity(stepCtx, a.FinishErasure, activities.FinishErasureInput{UserID: in.UserID, Actor: in.Actor}).Get(ctx, &fin); err != nil {
		return res, fmt.Errorf("finish erasure of %s: %w", in.UserID, err)
	}
	return res, nil
}
