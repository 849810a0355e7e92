package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"shopflow/notify"
	"shopflow/store"
)

// notifyFileMax bounds a notification file read by the CLI: its rows are stored as one JSON
// document until delivered. (The API takes files up to the request body limit.)
const notifyFileMax = 64 << 20

func (c *cli) notifyCommand() *cobra.Command {
	var format, results string
	var noWait bool
	var poll, timeout time.Duration
	cmd := &cobra.Command{
		Use:   "notify FILE...",
		Short: "Send a file of notifications (CSV or NDJSON) and write each row's result",
		Long: `Submit notification files for delivery, as POST /api/v1/admin/notifications/files does.

Each row names a recipient (a user id or email address), a channel (email, sms or inapp), a
message and, optionally, a subject. Rows are checked when the file is submitted; bad rows are
rejected with a reason and do not stop the good ones. The rows are delivered by a worker
('shopflow worker', at once through its outbox listener, or by the one-minute Schedule) through
the notification service: each row under its own idempotency key, so submitting the same file
again sends nothing twice, and rows that failed transiently are resumed. See
docs/NOTIFICATIONS.md for the formats.

Formats, by extension (or --format): .csv with a header row naming recipient, channel and
message (subject optional, columns in any order), or .ndjson / .jsonl, one {"recipient","channel","subject","message"} object per line.

Unless --no-wait, the command waits for each file's delivery (up to --timeout) and writes the
result of every row, as CSV (row,recipient,channel,status,error), to FILE.results.csv (or
--results, for a single FILE), and prints the counts.

Configuration: SHOPFLOW_DATABASE_URL.

Exit status 1 when a file could not be read or submitted, or its delivery was not finished
within --timeout.`,
		Example: `  shopflow notify announcements.csv
  shopflow notify --no-wait outage.ndjson
  shopflow notify --results /tmp/results.csv --format csv sellers.txt`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if format != "" && format != notify.FormatCSV && format != notify.FormatNDJSON {
				return fmt.Errorf("--format must be csv or ndjson, got %q", format)
			}
			if results != "" && len(files) > 1 {
				return errors.New("--results names one file: use it with a single FILE")
			}
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			pool, err := store.Open(cmd.Context(), cfg.DatabaseURL, nil)
			if err != nil {
				return err
			}
			defer pool.Close()
			st := store.New(pool)
			failed := 0
			for _, name := range files {
				if err := c.notifyFile(cmd.Context(), st, name, format, results, !noWait, poll, timeout); err != nil {
					failed++
					fmt.Fprintf(c.stderr, "%s: %v\n", name, err)
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d files failed", failed, len(files))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "format of every FILE, csv or ndjson (default: from each file's extension)")
	cmd.Flags().StringVar(&results, "results", "", "where to write the per-row results (default FILE.results.csv)")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "only submit: do not wait for delivery")
	cmd.Flags().DurationVar(&poll, "poll-interval", 500*time.Millisecond, "how often to look whether a file is delivered")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "how long to wait for a file's delivery")
	return cmd
}

// notifyFile submits one file and, if wait, follows it to its results.
func (c *cli) notifyFile(ctx context.Context, st *store.Store, name, format, results string, wait bool, poll, timeout time.Duration) error {
	if format == "" {
		switch strings.ToLower(filepath.Ext(name)) {
		case ".csv":
			format = notify.FormatCSV
		case ".ndjson", ".jsonl":
			format = notify.FormatNDJSON
		default:
			return errors.New("unknown extension: name it .csv, .ndjson or .jsonl, or pass --format")
		}
	}
	data, err := readBounded(name, notifyFileMax)
	if err != nil {
		return err
	}
	rows, rejected, err := notify.ParseFile(format, data)
	if err != nil {
		return fmt.Errorf("cannot read the file: %w", err)
	}
	sum := sha256.Sum256(data)
	id, err := st.CreateNotificationFile(ctx, hex.EncodeToString(sum[:]), format, "", rows, rejected)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: file %s submitted: %d rows to deliver, %d rejected\n", name, id, len(rows), len(rejected))
	if !wait {
		return nil
	}
	f, err := c.awaitNotificationFile(ctx, st, name, id, poll, timeout)
	if err != nil {
		return err
	}
	if results == "" {
		results = name + ".results.csv"
	}
	if err := writeRowResults(results, f.Results); err != nil {
		return err
	}
	retry := 0
	for _, r := range f.Results {
		if r.Status == "retry" {
			retry++
		}
	}
	fmt.Fprintf(c.stdout, "%s: delivered: %d sent, %d duplicates, %d failed, %d rejected, %d to retry (submit again); results in %s\n",
		name, f.Sent, f.Duplicates, f.Failed, f.Rejected, retry, results)
	return nil
}

// awaitNotificationFile polls the file until its delivery is done, with a spinner on a terminal.
func (c *cli) awaitNotificationFile(ctx context.Context, st *store.Store, name, id string, poll, timeout time.Duration) (store.NotificationFile, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var spin *progressbar.ProgressBar
	if isTerminal(c.stderr) {
		spin = progressbar.NewOptions(-1, progressbar.OptionSetWriter(c.stderr),
			progressbar.OptionSetDescription("delivering "+filepath.Base(name)), progressbar.OptionSpinnerType(14))
		defer func() { _ = spin.Finish(); fmt.Fprintln(c.stderr) }()
	}
	notYet := func() error {
		return fmt.Errorf("not delivered after %s (is a worker running?); its results will be at GET /api/v1/admin/notifications/files/%s: %w", timeout, id, ctx.Err())
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		f, err := st.NotificationFileByID(ctx, id)
		if err != nil {
			if ctx.Err() != nil { // the deadline fell during the query
				return f, notYet()
			}
			return f, err
		}
		if f.Status == "done" {
			return f, nil
		}
		if spin != nil {
			_ = spin.Add(1)
		}
		select {
		case <-ctx.Done():
			return f, notYet()
		case <-tick.C:
		}
	}
}

// readBounded reads a whole file, refusing one larger than max bytes.
func readBounded(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("larger than %d MiB: split it", max>>20)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the file is empty")
	}
	return data, nil
}

// writeRowResults writes one CSV line per row result, in row order, published by rename.
func writeRowResults(path string, results []store.NotificationRowResult) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := csv.NewWriter(tmp)
	_ = w.Write([]string{"row", "recipient", "channel", "status", "error"})
	for _, r := range results {
		_ = w.Write([]string{strconv.Itoa(r.Row), r.Recipient, r.Channel, r.Status, r.Error})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		tmp.Close()
		return fmt.Errorf("results: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}
