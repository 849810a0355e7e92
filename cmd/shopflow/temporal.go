package main

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"shopflow/app"
	"shopflow/worker"
	"shopflow/workflows"
)

func (c *cli) temporalCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "temporal", Short: "Deploy steps on the Temporal namespace"}
	cmd.AddCommand(&cobra.Command{
		Use:   "setup",
		Short: "Register search attributes and create or update every Schedule (run at each deploy)",
		Long: `Register Shopflow's search attributes (OrderId, CustomerId, OrderStatus) on
SHOPFLOW_TEMPORAL_NAMESPACE and create or update its Schedules (reservation sweep, ingest inbox,
hourly top sellers, daily report, notification outbox, search index) on SHOPFLOW_TASK_QUEUE, and
with SHOPFLOW_SEARCH_BACKEND=elasticsearch start the first reindex when the search alias points at
no index yet. Idempotent: run it
at every deploy, after 'shopflow migrate up' and before starting the new workers. It needs
namespace-admin rights; workers and the API do not. 'shopflow dev' runs it on start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			tc, err := app.DialTemporal(cmd.Context(), cfg, newLogger(cfg, c.stderr), prometheus.NewRegistry(), nil, false)
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
				fmt.Fprintf(c.stdout, "search: no index behind the alias yet; the first reindex is running (workflow %s)\n", workflows.ReindexSearchWorkflowID(cfg.TaskQueue))
			}
			fmt.Fprintf(c.stdout, "temporal namespace %s: search attributes and Schedules in place (task queue %s)\n",
				cfg.TemporalNamespace, cfg.TaskQueue)
			return nil
		},
	})
	return cmd
}
