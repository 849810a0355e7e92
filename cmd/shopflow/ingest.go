package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"shopflow/config"
	"shopflow/ingest"
	"shopflow/store"
	"shopflow/worker"
	"shopflow/workflows"
)

func (c *cli) ingestCommand() *cobra.Command {
	var noWait bool
	var format string
	var poll time.Duration
	cmd := &cobra.Command{
		Use:   "ingest FILE...",
		Short: "Submit order files (CSV or NDJSON) for ingest, and follow them to the end",
		Long: `Submit order files for ingest, each counted as sales exactly once.

Each FILE is stored in SHOPFLOW_INGEST_DIR under its content hash and registered as a batch,
exactly as POST /api/v1/ingest/batches does, and its ingest workflow is started on Temporal
(SHOPFLOW_TEMPORAL_ADDRESS, SHOPFLOW_TEMPORAL_NAMESPACE, SHOPFLOW_TASK_QUEUE). A worker
('shopflow worker') does the ingest, reading SHOPFLOW_INGEST_DIR itself: it must be the same
directory on this machine and the worker's. Then, unless --no-wait, a progress bar follows each
batch until it ends, and its counts and error file are printed.

Formats, by extension (or --format): .csv, with the header row
  source,external_order_id,line_no,ordered_at,product_id,quantity,unit_price_cents,currency
and one order line per row; or .ndjson / .jsonl, one order per line as the ingest API takes it.
See docs/INGEST.md.

Submitting the same content again is the same batch: nothing is counted twice, a batch that is
running is followed, and one that failed resumes where it stopped. Lines that cannot count are
listed, with line numbers and reasons, in the batch's error file.

Configuration: SHOPFLOW_DATABASE_URL (where batches are registered), SHOPFLOW_INGEST_DIR,
SHOPFLOW_TEMPORAL_ADDRESS, SHOPFLOW_TEMPORAL_NAMESPACE, SHOPFLOW_TASK_QUEUE.

Exit status 1 when a file could not be submitted or a batch failed.`,
		Example: `  shopflow ingest orders-2026-11-20.csv
  shopflow ingest --no-wait exports/*.ndjson
  shopflow ingest --format csv orders.txt`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if format != "" && format != string(ingest.FormatCSV) && format != string(ingest.FormatNDJSON) {
				return fmt.Errorf("--format must be csv or ndjson, got %q", format)
			}
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			return c.runIngest(cmd.Context(), cfg, ingestOptions{files: files, format: ingest.Format(format), noWait: noWait, poll: poll})
		},
	}
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "only submit: do not follow the batches")
	cmd.Flags().StringVar(&format, "format", "", "format of every FILE, csv or ndjson (default: from each file's extension)")
	cmd.Flags().DurationVar(&poll, "poll-interval", 500*time.Millisecond, "how often to read a batch's progress while following it")
	return cmd
}

type ingestOptions struct {
	files  []string
	format ingest.Format
	noWait bool
	poll   time.Duration
}

// submittedBatch is a file handed in, and its batch.
type submittedBatch struct {
	file  string
	batch store.Batch
}

func (c *cli) runIngest(ctx context.Context, cfg config.Config, opts ingestOptions) error {
	// The command's own output is its report; the libraries' logs matter only when they warn
	// (or when debugging).
	level := slog.LevelWarn
	if cfg.LogLevel == "debug" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
	pool, err := store.Open(ctx, cfg.DatabaseURL, nil)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	topts, err := worker.ClientOptions(cfg, log, prometheus.NewRegistry(), nil)
	if err != nil {
		return err
	}
	tc, err := worker.Dial(ctx, topts)
	if err != nil {
		return err
	}
	defer tc.Close()
	starts := &workflows.Ingests{Client: tc, TaskQueue: cfg.BatchTaskQueue}
	files := ingest.Files{Dir: cfg.IngestDir}

	var submitted []submittedBatch
	var failed int
	for _, name := range opts.files {
		b, created, err := c.submitFile(ctx, st, files, name, opts.format)
		if err != nil {
			failed++
			fmt.Fprintf(c.stderr, "%s: %v\n", name, err)
			continue
		}
		how := "submitted"
		if !created {
			how = "already submitted, " + b.Status
		}
		fmt.Fprintf(c.stdout, "%s: batch %s (%s)\n", name, b.ID, how)
		if b.Status != store.BatchCompleted {
			if err := starts.Start(ctx, b.ID); err != nil {
				failed++
				fmt.Fprintf(c.stderr, "%s: %v (the batch stays queued; the worker's inbox sweep starts it)\n", name, err)
				continue
			}
		}
		submitted = append(submitted, submittedBatch{file: name, batch: b})
	}
	if !opts.noWait {
		for _, s := range submitted {
			done, err := c.followBatch(ctx, st, s, opts.poll)
			if err != nil {
				return fmt.Errorf("%s: %w (the ingest goes on without us: shopflow ingest %s shows it again)", s.file, err, s.file)
			}
			if done.Status == store.BatchFailed {
				failed++
				fmt.Fprintf(c.stdout, "%s: failed after %d lines: %s\n", s.file, done.LinesRead, done.Failure)
				continue
			}
			errorFile, _ := files.Abs(done.ErrorPath)
			if abs, err := filepath.Abs(errorFile); err == nil {
				errorFile = abs
			}
			fmt.Fprintf(c.stdout, "%s: completed: %d lines read, %d order lines accepted, %d duplicates, %d lines rejected\n",
				s.file, done.LinesRead, done.Accepted, done.Duplicates, done.Rejected)
			if done.Rejected > 0 {
				fmt.Fprintf(c.stdout, "%s: rejected lines are listed in %s\n", s.file, errorFile)
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files failed", failed, len(opts.files))
	}
	return nil
}

// submitFile stores and registers one file, the same way the API does.
func (c *cli) submitFile(ctx context.Context, st *store.Store, files ingest.Files, name string, format ingest.Format) (store.Batch, bool, error) {
	if format == "" {
		var ok bool
		if format, ok = ingest.FormatOfName(name); !ok {
			return store.Batch{}, false, errors.New("unknown extension: name it .csv, .ndjson or .jsonl, or pass --format")
		}
	}
	f, err := os.Open(name)
	if err != nil {
		return store.Batch{}, false, err
	}
	defer f.Close()
	var body io.Reader = f
	if info, err := f.Stat(); err == nil && isTerminal(c.stderr) {
		bar := newBar(c.stderr, info.Size(), "storing   "+filepath.Base(name))
		defer bar.Finish()
		r := progressbar.NewReader(f, bar)
		body = &r
	}
	return ingest.Submit(ctx, st, files, ingest.Submission{Filename: filepath.Base(name), Format: format, Body: body, SubmittedBy: "cli"})
}

// followBatch polls the batch until it completes or fails, drawing its progress.
func (c *cli) followBatch(ctx context.Context, st *store.Store, s submittedBatch, every time.Duration) (store.Batch, error) {
	var bar *progressbar.ProgressBar
	if isTerminal(c.stderr) {
		bar = newBar(c.stderr, s.batch.SizeBytes, "ingesting "+filepath.Base(s.file))
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		b, err := st.BatchByID(ctx, s.batch.ID)
		if err != nil {
			return store.Batch{}, err
		}
		if bar != nil {
			_ = bar.Set64(b.OffsetBytes)
		}
		if b.Status == store.BatchCompleted || b.Status == store.BatchFailed {
			if bar != nil {
				_ = bar.Finish()
				fmt.Fprintln(c.stderr)
			}
			return b, nil
		}
		select {
		case <-ctx.Done():
			return store.Batch{}, ctx.Err()
		case <-tick.C:
		}
	}
}

func newBar(w io.Writer, size int64, description string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(description),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
	)
}

// isTerminal says whether w is a terminal; progress bars are drawn only there, so logs and
// pipes get plain lines.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
