package worker

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.temporal.io/sdk/interceptor"

	"shopflow/config"
	"shopflow/store"
	"shopflow/store/storetest"
	"shopflow/workflows"
)

// The business gauges count what an operator must act on, from the real tables: orders whose
// saga should have ended (those in fraud review get the review's time too), ingest batches not
// finished, and files waiting in the inbox.
func TestBusinessCollectorReadsStuckSagasAndIngestBacklog(t *testing.T) {
	ctx := context.Background()
	pool := storetest.NewPool(t)
	if _, err := pool.Exec(ctx, `
		WITH u AS (INSERT INTO users (email, password_hash, role) VALUES ('buyer@example.com', 'x', 'customer') RETURNING id)
		INSERT INTO orders (customer_id, status, currency, total_cents, subtotal_cents, fraud_decision, created_at)
		SELECT u.id, o.status, 'USD', 1000, 1000, o.fraud, now() - o.age::interval
		FROM u, (VALUES
			('pending', NULL, '10 minutes'),              -- stuck
			('awaiting_payment', NULL, '10 minutes'),     -- stuck
			('awaiting_payment', 'allow', '1 minute'),    -- still within its payment timeout
			('awaiting_payment', 'review', '10 minutes'), -- waiting for an admin: not stuck yet
			('awaiting_payment', 'approved', '2 hours'),  -- approved, charging: not stuck yet
			('awaiting_payment', 'review', '2 days'),     -- past the review timeout: stuck
			('placed', NULL, '10 minutes')
		) AS o(status, fraud, age)`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO ingest_batches (sha256, filename, format, path, size_bytes, status)
		SELECT repeat(to_hex(n), 64 / length(to_hex(n))), 'f.csv', 'csv', 'p', 1, s
		FROM (VALUES (1, 'queued'), (2, 'queued'), (3, 'running'), (4, 'completed'), (5, 'failed')) AS b(n, s)`); err != nil {
		t.Fatal(err)
	}
	inbox := t.TempDir()
	for _, name := range []string{"a.csv", "b.ndjson", ".partial.csv"} {
		if err := os.WriteFile(filepath.Join(inbox, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(inbox, "done"), 0o750); err != nil {
		t.Fatal(err)
	}
	d := Deps{Config: config.Config{PaymentTimeout: 5 * time.Minute, IngestInbox: inbox, PricingConfig: config.PricingConfig{FraudReviewTimeout: 24 * time.Hour}},
		Store: store.New(pool), Logger: slog.New(slog.DiscardHandler)}
	got := gather(t, NewBusinessCollector(d))
	for series, want := range map[string]float64{
		`shopflow_checkout_stuck_sagas{status="pending"}`:          1,
		`shopflow_checkout_stuck_sagas{status="awaiting_payment"}`: 2,
		`shopflow_ingest_batches_unfinished{status="queued"}`:      2,
		`shopflow_ingest_batches_unfinished{status="running"}`:     1,
		`shopflow_ingest_inbox_files`:                              2,
		`shopflow_collector_up{collector="stuck_sagas"}`:           1,
		`shopflow_collector_up{collector="ingest_batches"}`:        1,
		`shopflow_collector_up{collector="ingest_inbox"}`:          1,
	} {
		if v, ok := got[series]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}
}

// A database that does not answer costs the scrape its business gauges, not the scrape: the
// collector says which source failed, within its timeout.
func TestBusinessCollectorSurvivesAFailingDatabase(t *testing.T) {
	pool := storetest.NewPool(t)
	pool.Close()
	d := Deps{Config: config.Config{PaymentTimeout: time.Minute, IngestInbox: filepath.Join(t.TempDir(), "missing")},
		Store: store.New(pool), Logger: slog.New(slog.DiscardHandler)}
	start := time.Now()
	got := gather(t, NewBusinessCollector(d))
	if elapsed := time.Since(start); elapsed > collectTimeout+2*time.Second {
		t.Errorf("scrape took %s, beyond the collector's %s timeout", elapsed, collectTimeout)
	}
	for series, want := range map[string]float64{
		`shopflow_collector_up{collector="stuck_sagas"}`:    0,
		`shopflow_collector_up{collector="ingest_batches"}`: 0,
		`shopflow_collector_up{collector="ingest_inbox"}`:   1,
		`shopflow_ingest_inbox_files`:                       0,
	} {
		if v, ok := got[series]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}
	if _, ok := got[`shopflow_checkout_stuck_sagas{status="pending"}`]; ok {
		t.Error("stuck sagas exported without a database")
	}
}

// gather scrapes c alone and returns each series' value keyed as name{label="value",...}.
func gather(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			out[seriesKey(f.GetName(), m)] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	return out
}

func seriesKey(name string, m *dto.Metric) string {
	if len(m.GetLabel()) == 0 {
		return name
	}
	var labels []string
	for _, l := range m.GetLabel() {
		labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
	}
	return name + "{" + strings.Join(labels, ",") + "}"
}

// Every queue's worker records schedule lag: the Schedules' runs are on the batch queue today,
// and the interceptor costs nothing on runs no Schedule started.
func TestWorkersRecordScheduleLag(t *testing.T) {
	want := reflect.TypeOf(workflows.NewScheduleLagInterceptor())
	for _, role := range []string{config.QueueCheckout, config.QueueBatch} {
		o := options(config.Config{}, role)
		if !slices.ContainsFunc(o.Interceptors, func(i interceptor.WorkerInterceptor) bool { return reflect.TypeOf(i) == want }) {
			t.Errorf("the %s worker's options lack workflows.NewScheduleLagInterceptor()", role)
		}
	}
}
