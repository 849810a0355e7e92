package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"time"

	"shopflow/app"
	"shopflow/bench/benchenv"
)

// batchID finds the batch in `shopflow ingest`'s "FILE: batch ID (submitted)".
var batchID = regexp.MustCompile(`batch ([0-9a-f-]{36}) \(submitted\)`)

// ingestWithShopflow runs `shopflow ingest FILE --no-wait` with the run's configuration, follows
// the batch until the worker completes it, checks what it counted, and returns the time from
// launching the command to the batch's finished_at (set by the database, so polling adds nothing).
func ingestWithShopflow(ctx context.Context, a *app.App, o options, file, shopflow string, env []string, out io.Writer) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	fmt.Fprintf(out, "ingest bench: shopflow ingest %s --no-wait (chunks of %d lines; load %s)\n", file, a.Config.IngestChunkLines, benchenv.LoadAverage())
	start := time.Now()
	cmd := exec.CommandContext(ctx, shopflow, "ingest", file, "--no-wait")
	cmd.Env = append(os.Environ(), env...) // the run's settings come last, so they win
	said, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("shopflow ingest: %w: %s", err, said)
	}
	m := batchID.FindSubmatch(said)
	if m == nil {
		return 0, fmt.Errorf("shopflow ingest did not submit a new batch: %s", said)
	}
	id := string(m[1])
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	lastReport := start
	for {
		b, err := readBatch(ctx, a, id)
		if err != nil {
			return 0, err
		}
		switch b.Status {
		case "completed":
			return b.Finished.Sub(start), checkBatch(ctx, a, b, o.Lines)
		case "failed":
			return 0, fmt.Errorf("batch %s failed after %d lines: %s", id, b.LinesRead, b.Failure)
		}
		if time.Since(lastReport) >= 5*time.Second {
			el := time.Since(start)
			fmt.Fprintf(out, "  %5.1fs  %d lines read, %.0f lines/s\n", el.Seconds(), b.LinesRead, float64(b.LinesRead)/el.Seconds())
			lastReport = time.Now()
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("batch %s not completed after %s (%d lines read): %w", id, o.Timeout, b.LinesRead, ctx.Err())
		case <-tick.C:
		}
	}
}

// checkBatch checks that every line counted once: all accepted, none duplicate or rejected, and
// as many sales facts as lines.
func checkBatch(ctx context.Context, a *app.App, b batchState, lines int) error {
	var facts int64
	if err := a.Pool.QueryRow(ctx, `SELECT count(*) FROM sales_facts`).Scan(&facts); err != nil {
		return err
	}
	if b.Accepted != int64(lines) || b.Duplicates != 0 || b.Rejected != 0 || facts != int64(lines) {
		return fmt.Errorf("ingest counted wrong: %d accepted, %d duplicates, %d rejected, %d sales facts; want %d, 0, 0, %d",
			b.Accepted, b.Duplicates, b.Rejected, facts, lines, lines)
	}
	return nil
}
