package worker

import (
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"shopflow/config"
	"shopflow/workflows"
)

// deploymentOptions make a worker of queue a version of the worker deployment when
// SHOPFLOW_WORKER_BUILD_ID is set; unset, versioning stays off.
//
// Only the checkout queue is versioned. Its work is what a shopper waits on, and a saga that
// began on one build must not have its next step decided by another: a Pinned saga finishes on
// its build, so a deploy changes nothing for sagas in flight, and a bad build can be taken out
// of the way of new sagas by promoting the previous one. Pinned is the default for whatever is
// registered without a behaviour of its own; versioned (below) gives the long-lived workflow
// types AutoUpgrade.
//
// The batch queue stays unversioned: its runs are Schedule-started, idempotent and mostly short,
// several continue-as-new for good, and nobody waits on them; pinning would only keep old batch
// workers alive. Its workflows move to the new build at their next workflow task, which the
// replay tests (workflows/replay_test.go) and workflow.GetVersion patches make safe, exactly
// as before versioning.
func deploymentOptions(cfg config.Config, queue string) sdkworker.DeploymentOptions {
	if cfg.WorkerBuildID == "" || queue != config.QueueCheckout {
		return sdkworker.DeploymentOptions{}
	}
	return sdkworker.DeploymentOptions{
		UseVersioning: true,
		Version: sdkworker.WorkerDeploymentVersion{
			DeploymentName: cfg.WorkerDeployment,
			BuildID:        cfg.WorkerBuildID,
		},
		DefaultVersioningBehavior: workflow.VersioningBehaviorPinned,
	}
}

// pinnedWorkflows are the checkout-queue workflow types whose runs are bounded and short
// enough to finish on the build they began on: the saga (payment timeout plus at most
// SHOPFLOW_FRAUD_REVIEW_TIMEOUT of fraud review), a cancellation and a refund (a day of
// retries at most). Old checkout workers stay up until these drain.
var pinnedWorkflows = map[string]bool{
	workflows.CheckoutWorkflowName:     true,
	workflows.CancelPlacedWorkflowName: true,
	workflows.IssueRefundWorkflowName:  true,
}

// versioningBehavior is the behaviour a workflow type gets on a versioned worker. Everything
// not pinned auto-upgrades: a return waits weeks for the parcel (pinned, it would hold its
// build for as long), the notification drain continues-as-new while pushes keep coming (a
// pinned run's successor stays pinned), the reservation sweep is a Schedule's short run whose
// restarted sagas should start on the current build, and the batch workflows loop too. Those move to the current build at their next
// workflow task, which their GetVersion patches and the replay tests keep deterministic.
func versioningBehavior(workflowType string) workflow.VersioningBehavior {
	if pinnedWorkflows[workflowType] {
		return workflow.VersioningBehaviorPinned
	}
	return workflow.VersioningBehaviorAutoUpgrade
}

// versioned wraps a worker's registry so each workflow type registers with its behaviour when
// the worker is versioned (deploymentOptions); otherwise it returns r unchanged: an
// unversioned worker ignores behaviours, and its registrations stay exactly as before.
func versioned(r workflows.Registry, cfg config.Config, queue string) workflows.Registry {
	if !deploymentOptions(cfg, queue).UseVersioning {
		return r
	}
	return behaviourRegistry{r}
}

// behaviourRegistry sets the versioning behaviour on each workflow registration that has none.
type behaviourRegistry struct{ r workflows.Registry }

func (b behaviourRegistry) RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions) {
	if options.VersioningBehavior == workflow.VersioningBehaviorUnspecified {
		options.VersioningBehavior = versioningBehavior(options.Name)
	}
	b.r.RegisterWorkflowWithOptions(w, options)
}
