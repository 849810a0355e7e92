package main

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"shopflow/activities"
	"shopflow/app"
	"shopflow/config"
	"shopflow/workflows"
)

func (c *cli) searchCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "search", Short: "Search index maintenance"}
	var noWait bool
	reindex := &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild the Elasticsearch index without downtime",
		Long: `Start the ReindexSearch workflow (ID search-reindex-<task queue>) on Temporal: it builds a new physical
index with the current mapping from every product, in chunks (progress shows on its LoadIndex
activity in the Temporal UI, and a crashed worker resumes where it stopped), replays the changes
made meanwhile, checks the count against the catalog, swaps the alias <prefix>products to it
atomically and drops the old index. Searches keep answering from the old index until the swap.
A mapping change is deployed this way. If a reindex is running, this follows it instead of
starting another.

Needs SHOPFLOW_SEARCH_BACKEND=elasticsearch: the postgres backend reads its tables directly
and has no index to rebuild. Prints progress until the reindex ends (unless --no-wait);
exit status 1 when it fails (the old index then stays live).`,
		Example: `  shopflow search reindex
  shopflow search reindex --no-wait`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			if cfg.SearchBackend != config.SearchElasticsearch {
				return fmt.Errorf("SHOPFLOW_SEARCH_BACKEND is %s: only the elasticsearch backend has an index to rebuild", cfg.SearchBackend)
			}
			tc, err := app.DialTemporal(cmd.Context(), cfg, newLogger(cfg, c.stderr), prometheus.NewRegistry(), nil, false)
			if err != nil {
				return err
			}
			defer tc.Close()
			jobs := &workflows.Jobs{Client: tc, TaskQueue: cfg.BatchTaskQueue}
			id, run, err := jobs.ReindexSearch(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "reindex running: workflow %s, run %s\n", id, run)
			if noWait {
				return nil
			}
			return c.followReindex(cmd.Context(), tc, id, run, time.Second)
		},
	}
	reindex.Flags().BoolVar(&noWait, "no-wait", false, "start the reindex and return without following it")
	cmd.AddCommand(reindex)
	return cmd
}

// followReindex prints the reindex's load progress (its LoadIndex heartbeat) until it ends.
func (c *cli) followReindex(ctx context.Context, tc client.Client, id, run string, every time.Duration) error {
	done := make(chan error, 1)
	go func() {
		var res workflows.ReindexSearchResult
		err := tc.GetWorkflow(ctx, id, run).Get(ctx, &res)
		if err == nil {
			fmt.Fprintf(c.stdout, "reindex done: index %s holds %d documents (%d loaded, %d replayed); dropped %v\n",
				res.Index, res.Indexed, res.Loaded, res.Replayed, res.Previous)
		}
		done <- err
	}()
	tick := time.NewTicker(every)
	defer tick.Stop()
	var last int64 = -1
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			if n, ok := loadProgress(ctx, tc, id, run); ok && n != last {
				fmt.Fprintf(c.stderr, "loaded %d documents\n", n)
				last = n
			}
		}
	}
}

// loadProgress reads the documents loaded so far from the pending LoadIndex activity.
func loadProgress(ctx context.Context, tc client.Client, id, run string) (int64, bool) {
	d, err := tc.DescribeWorkflowExecution(ctx, id, run)
	if err != nil {
		return 0, false
	}
	for _, a := range d.GetPendingActivities() {
		if a.GetActivityType().GetName() != "LoadIndex" || a.GetHeartbeatDetails() == nil {
			continue
		}
		var p activities.LoadIndexProgress
		if err := converter.GetDefaultDataConverter().FromPayloads(a.GetHeartbeatDetails(), &p); err != nil {
			return 0, false
		}
		return p.Loaded, true
	}
	return 0, false
}
