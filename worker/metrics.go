package worker

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"shopflow/store"
)

// collectTimeout bounds the queries and the directory read of one scrape: a slow database
// makes the gauges go missing (and shopflow_collector_up 0), never the whole scrape hang.
const collectTimeout = 3 * time.Second

// Business gauges read at scrape time from Postgres and the ingest inbox.
var (
	stuckSagasDesc = prometheus.NewDesc("shopflow_checkout_stuck_sagas",
		"Orders still pending or awaiting payment past their saga's payment timeout plus grace (fraud review timeout too, for orders in review): a saga that is not running or not progressing.",
		[]string{"status"}, nil)
	ingestInboxDesc = prometheus.NewDesc("shopflow_ingest_inbox_files",
		"Files waiting in the ingest inbox (SHOPFLOW_INGEST_INBOX), hidden files left out.", nil, nil)
	ingestBatchesDesc = prometheus.NewDesc("shopflow_ingest_batches_unfinished",
		"Ingest batches not finished yet, by status (queued, running).", []string{"status"}, nil)
	collectorUpDesc = prometheus.NewDesc("shopflow_collector_up",
		"1 when the collector read its source at this scrape, 0 when it failed or timed out.", []string{"collector"}, nil)
)

// BusinessCollector exports gauges that only a query can answer: stuck sagas and the ingest
// backlog. It reads at scrape time, so the numbers are as fresh as the scrape.
type BusinessCollector struct {
	Pool *pgxpool.Pool
	// Inbox is the ingest inbox directory.
	Inbox string
	// StuckAfter is how old a pending or awaiting_payment order must be to count as stuck;
	// ReviewStuckAfter the same for an order held for fraud review.
	StuckAfter, ReviewStuckAfter time.Duration
	Logger                       *slog.Logger
}

// NewBusinessCollector reads stuck sagas and the ingest backlog for d's database and inbox.
func NewBusinessCollector(d Deps) *BusinessCollector {
	stuck := d.Config.PaymentTimeout + reservationGrace
	return &BusinessCollector{Pool: d.Store.Pool, Inbox: d.Config.IngestInbox, StuckAfter: stuck,
		ReviewStuckAfter: stuck + d.Config.FraudReviewTimeout, Logger: d.Logger}
}

// Describe sends the gauges' descriptions.
func (c *BusinessCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{stuckSagasDesc, ingestInboxDesc, ingestBatchesDesc, collectorUpDesc} {
		ch <- d
	}
}

// Collect reads each source within collectTimeout; a source that fails is reported by
// shopflow_collector_up and logged, and the others are still exported.
func (c *BusinessCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
	defer cancel()
	for _, source := range []struct {
		name    string
		collect func(context.Context, chan<- prometheus.Metric) error
	}{
		{"stuck_sagas", c.collectStuckSagas},
		{"ingest_inbox", c.collectInbox},
		{"ingest_batches", c.collectBatches},
	} {
		up := 1.0
		if err := source.collect(ctx, ch); err != nil {
			up = 0
			c.Logger.Warn("metrics collector failed", "collector", source.name, "err", err)
		}
		ch <- prometheus.MustNewConstMetric(collectorUpDesc, prometheus.GaugeValue, up, source.name)
	}
}

func (c *BusinessCollector) collectStuckSagas(ctx context.Context, ch chan<- prometheus.Metric) error {
	counts := map[string]float64{store.OrderPending: 0, store.OrderAwaitingPayment: 0}
	rows, err := c.Pool.Query(ctx, `
		SELECT status, count(*) FROM orders
		WHERE status IN ('pending', 'awaiting_payment')
		  AND created_at < now() - CASE WHEN fraud_decision IN ('review', 'approved') THEN $2::interval ELSE $1::interval END
		GROUP BY status`, c.StuckAfter, c.ReviewStuckAfter)
	if err != nil {
		return fmt.Errorf("count stuck sagas: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return fmt.Errorf("count stuck sagas: %w", err)
		}
		counts[status] = float64(n)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count stuck sagas: %w", err)
	}
	for status, n := range counts {
		ch <- prometheus.MustNewConstMetric(stuckSagasDesc, prometheus.GaugeValue, n, status)
	}
	return nil
}

func (c *BusinessCollector) collectBatches(ctx context.Context, ch chan<- prometheus.Metric) error {
	var queued, running int64
	err := c.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'queued'), count(*) FILTER (WHERE status = 'running')
		FROM ingest_batches WHERE status IN ('queued', 'running')`).Scan(&queued, &running)
	if err != nil {
		return fmt.Errorf("count unfinished ingest batches: %w", err)
	}
	ch <- prometheus.MustNewConstMetric(ingestBatchesDesc, prometheus.GaugeValue, float64(queued), "queued")
	ch <- prometheus.MustNewConstMetric(ingestBatchesDesc, prometheus.GaugeValue, float64(running), "running")
	return nil
}

// collectInbox counts the files ListIngestInbox would take (settled or not). A missing inbox
// is an empty one: the first sweep creates it.
func (c *BusinessCollector) collectInbox(ctx context.Context, ch chan<- prometheus.Metric) error {
	entries, err := os.ReadDir(c.Inbox)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("list ingest inbox %s: %w", c.Inbox, err)
	}
	n := 0
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			n++
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list ingest inbox %s: %w", c.Inbox, err)
	}
	ch <- prometheus.MustNewConstMetric(ingestInboxDesc, prometheus.GaugeValue, float64(n))
	return nil
}
