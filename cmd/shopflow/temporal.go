package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"shopflow/app"
	"shopflow/config"
	"shopflow/worker"
	"shopflow/workflows"
)

func (c *cli) temporalCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "temporal", Short: "Deploy steps on the Temporal namespace"}
	cmd.AddCommand(c.temporalSetupCommand(), c.deployCommand())
	return cmd
}

func (c *cli) temporalSetupCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "setup",
		Short: "Register search attributes and create or update every Schedule (run at each deploy)",
		Long: `Register Shopflow's search attributes (OrderId, CustomerId, OrderStatus) on
SHOPFLOW_TEMPORAL_NAMESPACE and create or update its Schedules (reservation sweep, ingest inbox,
hourly top sellers, daily report, notification outbox, search index), and
with SHOPFLOW_SEARCH_BACKEND=elasticsearch start the first reindex when the search alias points at
no index yet. Idempotent: run it
at every deploy, after 'shopflow migrate up' and before starting the new workers. It needs
namespace-admin rights; workers and the API do not. 'shopflow dev' runs it on start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, tc, err := c.dialTemporal(cmd)
			if err != nil {
				return err
			}
			defer tc.Close()
			if err := worker.Setup(cmd.Context(), tc, cfg); err != nil {
				return err
			}
			started, err := app.EnsureSearchIndex(cmd.Context(), cfg, tc)
			if err != nil {
				return err
			}
			if started {
				fmt.Fprintf(c.stdout, "search: no index behind the alias yet; the first reindex is running (workflow %s)\n", workflows.ReindexSearchWorkflowID(cfg.BatchTaskQueue))
			}
			fmt.Fprintf(c.stdout, "temporal namespace %s: search attributes and Schedules in place (task queue %s)\n",
				cfg.TemporalNamespace, cfg.TaskQueue)
			return nil
		},
	}
}

// dialTemporal loads the configuration and connects to Temporal for a one-off deploy step.
func (c *cli) dialTemporal(cmd *cobra.Command) (config.Config, client.Client, error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return config.Config{}, nil, err
	}
	tc, err := app.DialTemporal(cmd.Context(), cfg, newLogger(cfg, c.stderr), prometheus.NewRegistry(), nil, false)
	return cfg, tc, err
}

func (c *cli) deployCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Route checkout sagas between worker builds (Temporal Worker Versioning)",
		Long: `Checkout workers started with SHOPFLOW_WORKER_BUILD_ID register as that build (a version) of the
worker deployment SHOPFLOW_WORKER_DEPLOYMENT. New checkout sagas go to the deployment's current
build; a saga stays on the build it started on until it ends. 'promote' changes the current build
(a rollback is promoting the previous one); 'status' shows which builds still run sagas.`,
	}
	cmd.AddCommand(c.promoteCommand(), c.deployStatusCommand())
	return cmd
}

func (c *cli) promoteCommand() *cobra.Command {
	var p worker.Promotion
	var ramp float32
	cmd := &cobra.Command{
		Use:   "promote --build <id>",
		Short: "Make a build the current version of the worker deployment (or ramp it with --ramp)",
		Long: `Make the build the deployment's current version: every new checkout saga starts on it, and the
returns and notification drains move to it at their next step. Sagas running on other builds
finish there, so keep those builds' checkout workers up until 'shopflow temporal deploy status'
shows them drained. Start the build's workers first: Temporal refuses a build it has seen no
pollers for, and promote retries for up to --wait while the workers come up.

Rolling back is promoting the previous build (its workers must still run or be restarted).

With --ramp P (0 to 100) the build becomes the ramping version instead: P percent of new sagas
start on it, the rest on the current build; a later promote without --ramp completes the switch.`,
		Example: `  shopflow temporal deploy promote --build 2026-12-06.1
  shopflow temporal deploy promote --build 2026-12-06.1 --ramp 10
  shopflow temporal deploy promote --build 2026-12-05.3   # roll back`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("ramp") {
				if ramp < 0 || ramp > 100 {
					return fmt.Errorf("--ramp must be between 0 and 100, got %g", ramp)
				}
				p.Ramp = &ramp
			}
			cfg, tc, err := c.dialTemporal(cmd)
			if err != nil {
				return err
			}
			defer tc.Close()
			if p.Deployment == "" {
				p.Deployment = cfg.WorkerDeployment
			}
			if err := worker.Promote(cmd.Context(), tc, p); err != nil {
				return err
			}
			if p.Ramp != nil {
				fmt.Fprintf(c.stdout, "worker deployment %s: build %s ramping at %g%%\n", p.Deployment, p.BuildID, ramp)
			} else {
				fmt.Fprintf(c.stdout, "worker deployment %s: build %s is current\n", p.Deployment, p.BuildID)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.BuildID, "build", "", "build id to promote (the SHOPFLOW_WORKER_BUILD_ID of its workers)")
	f.StringVar(&p.Deployment, "deployment", "", "worker deployment name (default SHOPFLOW_WORKER_DEPLOYMENT)")
	f.Float32Var(&ramp, "ramp", 0, "ramp the build to this percentage of new sagas instead of making it current")
	f.DurationVar(&p.Wait, "wait", time.Minute, "how long to retry while the build's workers have not polled yet")
	_ = cmd.MarkFlagRequired("build")
	return cmd
}

func (c *cli) deployStatusCommand() *cobra.Command {
	var deployment string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the worker deployment's current and ramping builds and which builds still drain",
		Long: `Show the deployment's current and ramping build and every build Temporal knows for it:
current, ramping, draining (pinned sagas still run on it: keep its checkout workers), drained
(nothing runs on it any more: its workers can stop) or inactive (never current, or not yet
checked). Temporal re-checks drainage every few minutes, so a build shows drained a little after
its last saga ended.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, tc, err := c.dialTemporal(cmd)
			if err != nil {
				return err
			}
			defer tc.Close()
			if deployment == "" {
				deployment = cfg.WorkerDeployment
			}
			s, err := worker.Status(cmd.Context(), tc, deployment)
			if err != nil {
				return err
			}
			c.printDeploymentStatus(s)
			return nil
		},
	}
	cmd.Flags().StringVar(&deployment, "deployment", "", "worker deployment name (default SHOPFLOW_WORKER_DEPLOYMENT)")
	return cmd
}

func (c *cli) printDeploymentStatus(s worker.DeploymentStatus) {
	orNone := func(id string) string {
		if id == "" {
			return "(unversioned workers)"
		}
		return id
	}
	fmt.Fprintf(c.stdout, "worker deployment %s\ncurrent build: %s\n", s.Deployment, orNone(s.Current))
	if s.Ramping != "" || s.RampPercent > 0 {
		fmt.Fprintf(c.stdout, "ramping build: %s at %g%%\n", orNone(s.Ramping), s.RampPercent)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BUILD\tSTATE\tCREATED")
	for _, v := range s.Versions {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.BuildID, v.State, v.Created.UTC().Format(time.RFC3339))
	}
	_ = tw.Flush()
}
