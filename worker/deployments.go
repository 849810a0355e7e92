package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// Promotion is one routing change of a worker deployment: BuildID becomes the current version,
// or with a Ramp between 0 and 100, the ramping version that gets that percentage of new
// checkout sagas (and of the auto-upgrading workflows' tasks).
type Promotion struct {
	Deployment string
	BuildID    string
	Ramp       *float32
	// Wait is how long to keep retrying while the server does not know the version yet or
	// sees no pollers for it: workers register their version with their first polls.
	Wait time.Duration
}

// promoteRetry is the pause between attempts while a version's workers come up.
const promoteRetry = time.Second

// Promote routes new checkout sagas to a build: the deploy step `shopflow temporal deploy
// promote`, and the rollback too (promote the previous build). Sagas already running stay on
// the build they started on.
func Promote(ctx context.Context, c client.Client, p Promotion) error {
	h := c.WorkerDeploymentClient().GetHandle(p.Deployment)
	deadline := time.Now().Add(p.Wait)
	for {
		err := promoteOnce(ctx, h, p)
		if err == nil || !versionNotReady(err) || time.Now().Add(promoteRetry).After(deadline) {
			if err != nil {
				return fmt.Errorf("promote build %s of worker deployment %s: %w (are workers with SHOPFLOW_WORKER_BUILD_ID=%[1]s polling the checkout queue?)",
					p.BuildID, p.Deployment, err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("promote build %s of worker deployment %s: %w", p.BuildID, p.Deployment, ctx.Err())
		case <-time.After(promoteRetry):
		}
	}
}

func promoteOnce(ctx context.Context, h client.WorkerDeploymentHandle, p Promotion) error {
	if p.Ramp != nil {
		_, err := h.SetRampingVersion(ctx, client.WorkerDeploymentSetRampingVersionOptions{BuildID: p.BuildID, Percentage: *p.Ramp})
		return err
	}
	_, err := h.SetCurrentVersion(ctx, client.WorkerDeploymentSetCurrentVersionOptions{BuildID: p.BuildID})
	return err
}

// versionNotReady reports the errors of a version whose workers have not polled yet.
func versionNotReady(err error) bool {
	var notFound *serviceerror.NotFound
	var precondition *serviceerror.FailedPrecondition
	return errors.As(err, &notFound) || errors.As(err, &precondition)
}

// DeploymentStatus is what `shopflow temporal deploy status` shows.
type DeploymentStatus struct {
	Deployment string
	// Current and Ramping are build ids; "" is none (unversioned workers).
	Current, Ramping string
	RampPercent      float32
	Versions         []VersionStatus
}

// VersionStatus is one build of the deployment.
type VersionStatus struct {
	BuildID string
	Created time.Time
	// State is current, ramping, draining (pinned workflows still run on it: keep its
	// workers), drained (safe to stop its workers) or inactive (never current, or not yet
	// checked by the server).
	State string
}

// Status describes the deployment: its routing and every build with its drainage state.
func Status(ctx context.Context, c client.Client, deployment string) (DeploymentStatus, error) {
	res, err := c.WorkerDeploymentClient().GetHandle(deployment).Describe(ctx, client.WorkerDeploymentDescribeOptions{})
	if err != nil {
		return DeploymentStatus{}, fmt.Errorf("describe worker deployment %s: %w", deployment, err)
	}
	rc := res.Info.RoutingConfig
	s := DeploymentStatus{Deployment: deployment, RampPercent: rc.RampingVersionPercentage}
	if rc.CurrentVersion != nil {
		s.Current = rc.CurrentVersion.BuildID
	}
	if rc.RampingVersion != nil {
		s.Ramping = rc.RampingVersion.BuildID
	}
	for _, v := range res.Info.VersionSummaries {
		s.Versions = append(s.Versions, VersionStatus{BuildID: v.Version.BuildID, Created: v.CreateTime,
			State: versionState(s, v)})
	}
	return s, nil
}

func versionState(s DeploymentStatus, v client.WorkerDeploymentVersionSummary) string {
	switch {
	case v.Version.BuildID == s.Current:
		return "current"
	case v.Version.BuildID == s.Ramping:
		return "ramping"
	case v.DrainageStatus == client.WorkerDeploymentVersionDrainageStatusDraining:
		return "draining"
	case v.DrainageStatus == client.WorkerDeploymentVersionDrainageStatusDrained:
		return "drained"
	}
	return "inactive"
}
