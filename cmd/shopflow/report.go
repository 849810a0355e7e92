package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"shopflow/app"
	"shopflow/config"
	"shopflow/report"
	"shopflow/store"
	"shopflow/worker"
	"shopflow/workflows"
)

// reportMaxDays bounds one backfill, so a typo in a year does not start a thousand runs.
const reportMaxDays = 3660

func (c *cli) reportCommand() *cobra.Command {
	var from, to, dir, staging string
	var direct bool
	cmd := &cobra.Command{
		Use:   "report --from YYYY-MM-DD [--to YYYY-MM-DD]",
		Short: "Build (backfill) the daily sales reports of a range of days",
		Long: `Build the daily sales reports of every day from --from to --to (inclusive), oldest first.

By default each day is run as the DailyReport workflow (ID report-<date>) on Temporal
(SHOPFLOW_TEMPORAL_ADDRESS, SHOPFLOW_TEMPORAL_NAMESPACE, SHOPFLOW_TASK_QUEUE), one after the
other, waiting for each: a worker ('shopflow worker') builds the files into its report storage.
With --direct the reports are built by this process, from SHOPFLOW_DATABASE_URL, into the
report storage (a local directory, --dir, default .dev/reports).

Each day gets a platform report and one report per seller, as CSV and Parquet, and a
manifest.json, published last (see docs/REPORTS.md). Building a day again replaces its files
with identical ones, so a backfill can be rerun or resumed safely.

Exit status 1 when a day could not be built (the days after it are not attempted).`,
		Example: `  shopflow report --from 2026-11-20
  shopflow report --from 2026-11-01 --to 2026-11-30
  shopflow report --direct --dir /srv/reports --from 2026-11-20 --to 2026-11-21`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			days, err := reportDays(from, to)
			if err != nil {
				return err
			}
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			if direct {
				return c.reportDirect(cmd.Context(), cfg, days, dir, staging)
			}
			return c.reportThroughWorkflow(cmd.Context(), cfg, days)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "first day to build, YYYY-MM-DD (required)")
	cmd.Flags().StringVar(&to, "to", "", "last day to build, YYYY-MM-DD (default: --from)")
	cmd.Flags().BoolVar(&direct, "direct", false, "build in this process instead of through the DailyReport workflow")
	cmd.Flags().StringVar(&dir, "dir", "", "with --direct: the local report directory (default "+report.DefaultDir+")")
	cmd.Flags().StringVar(&staging, "staging-dir", "", "with --direct: where files are written before they are published (default: the system's temporary directory)")
	return cmd
}

// reportDays lists the days from..to.
func reportDays(from, to string) ([]time.Time, error) {
	if from == "" {
		return nil, errors.New("--from is required")
	}
	first, err := report.ParseDate(from)
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	last := first
	if to != "" {
		if last, err = report.ParseDate(to); err != nil {
			return nil, fmt.Errorf("--to: %w", err)
		}
	}
	if last.Before(first) {
		return nil, fmt.Errorf("--to (%s) is before --from (%s)", to, from)
	}
	if last.After(time.Now().UTC()) {
		return nil, fmt.Errorf("--to (%s) has not begun yet", last.Format(time.DateOnly))
	}
	var days []time.Time
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		if len(days) == reportMaxDays {
			return nil, fmt.Errorf("at most %d days at a time", reportMaxDays)
		}
		days = append(days, d)
	}
	return days, nil
}

// reportThroughWorkflow runs the days one by one on Temporal.
func (c *cli) reportThroughWorkflow(ctx context.Context, cfg config.Config, days []time.Time) error {
	topts, err := worker.ClientOptions(cfg, reportLogger(cfg, c.stderr), prometheus.NewRegistry(), nil)
	if err != nil {
		return err
	}
	tc, err := worker.Dial(ctx, topts)
	if err != nil {
		return err
	}
	defer tc.Close()
	jobs := &workflows.ReportJobs{Client: tc, TaskQueue: cfg.BatchTaskQueue, DigestBatchSize: cfg.DigestBatchSize, DigestConcurrency: cfg.DigestConcurrency}
	return c.eachDay(days, func(day time.Time) (string, error) {
		res, err := jobs.RunDailyReport(ctx, day)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d files, %d rows, %d bytes (workflow %s)", res.Files, res.Rows, res.Bytes,
			workflows.DailyReportWorkflowID(res.Date)), nil
	})
}

// reportDirect builds the days in this process.
func (c *cli) reportDirect(ctx context.Context, cfg config.Config, days []time.Time, dir, staging string) error {
	rc := app.ReportConfig(cfg)
	if dir != "" {
		rc.Dir, rc.S3 = dir, report.S3Config{}
	}
	st, err := rc.OpenStorage()
	if err != nil {
		return err
	}
	loc, err := rc.Location()
	if err != nil {
		return err
	}
	pool, err := store.Open(ctx, cfg.DatabaseURL, nil)
	if err != nil {
		return err
	}
	defer pool.Close()
	return c.eachDay(days, func(day time.Time) (string, error) {
		m, err := report.BuildDaily(ctx, pool, st, report.DailyOptions{
			Date: day.Format(time.DateOnly), Location: loc, StagingDir: staging,
			// The time the Schedule would have run it, so direct and scheduled builds match.
			GeneratedAt: day.AddDate(0, 0, 1).Add(15 * time.Minute),
		})
		if err != nil {
			return "", err
		}
		var rows, size int64
		for _, f := range m.Files {
			size += f.Bytes
			if f.Name == report.PlatformCSV {
				rows = f.Rows
			}
		}
		return fmt.Sprintf("%d files, %d rows, %d bytes", len(m.Files), rows, size), nil
	})
}

// reportLogger is quiet: the command's own lines are its report; libraries speak only to warn.
func reportLogger(cfg config.Config, w io.Writer) *slog.Logger {
	level := slog.LevelWarn
	if cfg.LogLevel == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// eachDay builds the days in order, with a progress bar on a terminal and a line per day.
func (c *cli) eachDay(days []time.Time, build func(day time.Time) (string, error)) error {
	var bar *progressbar.ProgressBar
	if isTerminal(c.stderr) {
		bar = progressbar.NewOptions(len(days), progressbar.OptionSetWriter(c.stderr), progressbar.OptionSetDescription("daily reports"),
			progressbar.OptionSetWidth(30), progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true))
	}
	for i, day := range days {
		date := day.Format(time.DateOnly)
		summary, err := build(day)
		if bar != nil {
			bar.Clear()
		}
		if err != nil {
			fmt.Fprintf(c.stdout, "%s: failed: %v\n", date, err)
			return fmt.Errorf("report %s: %w (%d of %d days built)", date, err, i, len(days))
		}
		fmt.Fprintf(c.stdout, "%s: %s [%d/%d]\n", date, summary, i+1, len(days))
		if bar != nil {
			_ = bar.Add(1)
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	return nil
}
