package worker

import (
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"shopflow/config"
	"shopflow/workflows"
)

func versionedConfig() config.Config {
	return config.Config{VersioningConfig: config.VersioningConfig{WorkerDeployment: "shopflow", WorkerBuildID: "b7"}}
}

// With a build id the checkout worker is a version of the deployment, pinning by default; the
// batch worker, and every worker without a build id, stays unversioned.
func TestVersioningDeploymentOptionsOnlyForCheckout(t *testing.T) {
	got := deploymentOptions(versionedConfig(), config.QueueCheckout)
	want := sdkworker.DeploymentOptions{UseVersioning: true,
		Version:                   sdkworker.WorkerDeploymentVersion{DeploymentName: "shopflow", BuildID: "b7"},
		DefaultVersioningBehavior: workflow.VersioningBehaviorPinned}
	if got != want {
		t.Errorf("checkout worker with a build id: %+v, want %+v", got, want)
	}
	if got := deploymentOptions(versionedConfig(), config.QueueBatch); got != (sdkworker.DeploymentOptions{}) {
		t.Errorf("batch worker: %+v, want unversioned", got)
	}
	unset := versionedConfig()
	unset.WorkerBuildID = ""
	if got := deploymentOptions(unset, config.QueueCheckout); got != (sdkworker.DeploymentOptions{}) {
		t.Errorf("checkout worker without a build id: %+v, want unversioned", got)
	}
}

type recordingRegistry map[string]workflow.VersioningBehavior

func (r recordingRegistry) RegisterWorkflowWithOptions(_ any, o workflow.RegisterOptions) {
	r[o.Name] = o.VersioningBehavior
}

// Short, bounded checkout-queue workflows pin; long-lived ones (a return waits weeks, drains
// continue-as-new) auto-upgrade, so they never hold an old build's workers up.
func TestVersioningBehaviourPerWorkflowType(t *testing.T) {
	got := recordingRegistry{}
	workflows.Register(versioned(got, versionedConfig(), config.QueueCheckout))
	for name, want := range map[string]workflow.VersioningBehavior{
		workflows.CheckoutWorkflowName:      workflow.VersioningBehaviorPinned,
		workflows.CancelPlacedWorkflowName:  workflow.VersioningBehaviorPinned,
		workflows.IssueRefundWorkflowName:   workflow.VersioningBehaviorPinned,
		workflows.ReturnWorkflowName:        workflow.VersioningBehaviorAutoUpgrade,
		workflows.DeliverOutboxWorkflowName: workflow.VersioningBehaviorAutoUpgrade,
		workflows.IndexSearchWorkflowName:   workflow.VersioningBehaviorAutoUpgrade,
	} {
		if got[name] != want {
			t.Errorf("%s registers with behaviour %v, want %v", name, got[name], want)
		}
	}
	// Unversioned workers register as before versioning, without a behaviour.
	for _, queue := range []string{config.QueueBatch, config.QueueCheckout} {
		cfg := versionedConfig()
		if queue == config.QueueCheckout {
			cfg.WorkerBuildID = ""
		}
		plain := recordingRegistry{}
		workflows.Register(versioned(plain, cfg, queue))
		for name, b := range plain {
			if b != workflow.VersioningBehaviorUnspecified {
				t.Errorf("unversioned %s worker: %s registers with behaviour %v", queue, name, b)
			}
		}
	}
}

// The SDK accepts the options and the registrations: a versioned worker panics at New or at
// registration when behaviours and options do not fit together.
func TestVersioningOptionsBuildAWorker(t *testing.T) {
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, cfg := range []config.Config{versionedConfig(), {}} {
		for _, queue := range []string{config.QueueCheckout, config.QueueBatch} {
			w := sdkworker.New(c, "versioning-test", sdkworker.Options{DeploymentOptions: deploymentOptions(cfg, queue)})
			workflows.Register(versioned(w, cfg, queue))
			// worker.go's register without the wrapper: the pinned default covers it.
			workflows.Register(sdkworker.New(c, "versioning-test", sdkworker.Options{DeploymentOptions: deploymentOptions(cfg, queue)}))
		}
	}
}

// SHOPFLOW_WORKER_DEPLOYMENT and SHOPFLOW_WORKER_BUILD_ID are checked against Temporal's rules.
func TestVersioningConfigValidation(t *testing.T) {
	cases := []struct {
		name, deployment, build string
		want                    string // the variable named, "" for valid
	}{
		{"defaults without a build", "shopflow", "", ""},
		{"dotted build id", "shopflow", "2026.12.06-1+abc", ""},
		{"empty deployment", "", "b1", "SHOPFLOW_WORKER_DEPLOYMENT"},
		{"dot in deployment", "shop.flow", "b1", "SHOPFLOW_WORKER_DEPLOYMENT"},
		{"colon in deployment", "shop:flow", "b1", "SHOPFLOW_WORKER_DEPLOYMENT"},
		{"reserved deployment prefix", "__shopflow", "b1", "SHOPFLOW_WORKER_DEPLOYMENT"},
		{"reserved build prefix", "shopflow", "__b1", "SHOPFLOW_WORKER_BUILD_ID"},
		{"space in build id", "shopflow", "b 1", "SHOPFLOW_WORKER_BUILD_ID"},
		{"build id over 255 bytes", "shopflow", strings.Repeat("b", 256), "SHOPFLOW_WORKER_BUILD_ID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load(nil)
			if err != nil {
				t.Fatalf("default configuration: %v", err)
			}
			cfg.WorkerDeployment, cfg.WorkerBuildID = tc.deployment, tc.build
			var named []string
			if err := cfg.Validate(); err != nil {
				for line := range strings.SplitSeq(err.Error(), "\n") {
					if strings.HasPrefix(line, "SHOPFLOW_WORKER_") {
						named = append(named, line)
					}
				}
			}
			switch {
			case tc.want == "" && len(named) > 0:
				t.Errorf("valid settings rejected: %v", named)
			case tc.want != "" && (len(named) != 1 || !strings.HasPrefix(named[0], tc.want+":")):
				t.Errorf("problems %v, want exactly one naming %s", named, tc.want)
			}
		})
	}
}
