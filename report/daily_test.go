package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/parquet-go/parquet-go"

	"shopflow/ranking/rankingtest"
	"shopflow/report"
	"shopflow/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

const testDate = "2026-11-20"

// seedDay fills a fresh database with two days of generated sales around testDate, and one of
// our own orders sold the day before and refunded on testDate.
func seedDay(t *testing.T) (*pgxpool.Pool, rankingtest.Shop) {
	t.Helper()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	end := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	shop, err := rankingtest.Seed(ctx, pool, rankingtest.Spec{Roots: 2, Fanout: 2, Depth: 2, Sellers: 6, Products: 40,
		Facts: 5000, Hours: 60, End: end, Seed: 0.42, Source: "reporttest"})
	if err != nil {
		t.Fatal(err)
	}
	// Extra lines on the day: a second line of a generated order (orders counts it once).
	if _, err := pool.Exec(ctx, `
		INSERT INTO sales_facts (source, external_order_id, line_no, ordered_at, product_id, seller_id, category_id, quantity, unit_price_cents, currency)
		SELECT source, external_order_id, 2, ordered_at, product_id, seller_id, category_id, 3, unit_price_cents, currency
		FROM sales_facts WHERE ordered_at >= '2026-11-20' AND ordered_at < '2026-11-21' ORDER BY ordered_at LIMIT 50`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		WITH u AS (INSERT INTO users (email, password_hash, role) VALUES ('buyer@example.com', 'x', 'customer') RETURNING id),
		o AS (INSERT INTO orders (customer_id, status, currency, total_cents, subtotal_cents, created_at)
		      SELECT id, 'refunded', 'USD', 1000, 1000, '2026-11-19 10:00Z' FROM u RETURNING id),
		e AS (INSERT INTO order_events (order_id, status, created_at) SELECT id, 'refunded', '2026-11-20 08:00Z' FROM o RETURNING 1)
		INSERT INTO sales_facts (source, external_order_id, line_no, ordered_at, product_id, seller_id, category_id, quantity, unit_price_cents, currency)
		SELECT 'shopflow', o.id::text, 1, '2026-11-19 10:00Z', p.id, p.seller_id, p.category_id, 2, 500, 'USD'
		FROM o, products p WHERE p.id = $1`, shop.Products[len(shop.Products)-1]); err != nil {
		t.Fatal(err)
	}
	// Lines priced with a promotion and tax, as checkouts record them; the refunded line too.
	if _, err := pool.Exec(ctx, `
		UPDATE sales_facts SET discount_cents = (quantity * unit_price_cents) / 10, tax_cents = (quantity * unit_price_cents) / 5
		WHERE (ordered_at >= '2026-11-20' AND ordered_at < '2026-11-21' AND line_no = 1 AND product_id % 3 = 0)
		   OR source = 'shopflow'`); err != nil {
		t.Fatal(err)
	}
	return pool, shop
}

// expectedRows is the day computed independently: from the hourly rollup for units and
// revenue, from orders and their events for refunds.
func expectedRows(t *testing.T, pool *pgxpool.Pool) [][]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		WITH keys AS (
			SELECT DISTINCT f.seller_id, f.product_id, f.category_id, f.currency FROM sales_facts f
			WHERE f.ordered_at >= '2026-11-20' AND f.ordered_at < '2026-11-21'
			   OR EXISTS (SELECT 1 FROM orders o JOIN order_events e ON e.order_id = o.id
			              WHERE o.id::text = f.external_order_id AND f.source = 'shopflow' AND e.status = 'refunded'
			                AND e.created_at >= '2026-11-20' AND e.created_at < '2026-11-21'))
		SELECT '2026-11-20', k.category_id, c.name, k.product_id, p.name, k.seller_id::text, s.store_name,
		       (SELECT coalesce(sum(quantity), 0) FROM sales_facts f WHERE f.product_id = k.product_id AND f.currency = k.currency
		          AND f.seller_id = k.seller_id AND f.category_id = k.category_id
		          AND f.ordered_at >= '2026-11-20' AND f.ordered_at < '2026-11-21'),
		       (SELECT count(*) FROM (SELECT DISTINCT source, external_order_id FROM sales_facts f WHERE f.product_id = k.product_id
		          AND f.currency = k.currency AND f.seller_id = k.seller_id AND f.category_id = k.category_id
		          AND f.ordered_at >= '2026-11-20' AND f.ordered_at < '2026-11-21') d),
		       (SELECT coalesce(sum(quantity * unit_price_cents), 0) FROM sales_facts f WHERE f.product_id = k.product_id
		          AND f.currency = k.currency AND f.seller_id = k.seller_id AND f.category_id = k.category_id
		          AND f.ordered_at >= '2026-11-20' AND f.ordered_at < '2026-11-21'),
		       (SELECT coalesce(sum(discount_cents), 0) FROM sales_facts f WHERE f.product_id = k.product_id
		          AND f.currency = k.currency AND f.seller_id = k.seller_id AND f.category_id = k.category_id
		          AND f.ordered_at >= '2026-11-20' AND f.ordered_at < '2026-11-21'),
		       (SELECT coalesce(sum(tax_cents), 0) FROM sales_facts f WHERE f.product_id = k.product_id
		          AND f.currency = k.currency AND f.seller_id = k.seller_id AND f.category_id = k.category_id
		          AND f.ordered_at >= '2026-11-20' AND f.ordered_at < '2026-11-21'),
		       (SELECT coalesce(sum(f.quantity * f.unit_price_cents - f.discount_cents), 0) FROM sales_facts f JOIN orders o ON o.id::text = f.external_order_id
		          JOIN order_events e ON e.order_id = o.id AND e.status = 'refunded'
		          WHERE f.source = 'shopflow' AND f.product_id = k.product_id AND f.currency = k.currency
		          AND f.seller_id = k.seller_id AND f.category_id = k.category_id
		          AND e.created_at >= '2026-11-20' AND e.created_at < '2026-11-21'),
		       k.currency
		FROM keys k JOIN products p ON p.id = k.product_id JOIN sellers s ON s.id = k.seller_id JOIN categories c ON c.id = k.category_id
		ORDER BY k.seller_id, k.product_id, k.category_id, k.currency`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		var date, cat, prod, sellerID, seller, cur string
		var catID, prodID, units, orders, gross, discount, tax, refunds int64
		if err := rows.Scan(&date, &catID, &cat, &prodID, &prod, &sellerID, &seller, &units, &orders, &gross, &discount, &tax, &refunds, &cur); err != nil {
			t.Fatal(err)
		}
		out = append(out, report.Row{Date: date, CategoryID: catID, CategoryName: cat, ProductID: prodID, ProductName: prod,
			SellerID: sellerID, SellerName: seller, Units: units, Orders: orders, GrossRevenueCents: gross, DiscountCents: discount,
			RefundsCents: refunds, NetRevenueCents: gross - discount - refunds, TaxCents: tax, Currency: cur}.Record())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readAll(t *testing.T, st report.Storage, name string) []byte {
	t.Helper()
	rc, err := st.Open(context.Background(), name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recs[0], report.Columns) {
		t.Fatalf("header %v, want %v", recs[0], report.Columns)
	}
	return recs[1:]
}

func build(t *testing.T, pool *pgxpool.Pool, st report.Storage) report.Manifest {
	t.Helper()
	m, err := report.BuildDaily(context.Background(), pool, st, report.DailyOptions{Date: testDate,
		GeneratedAt: time.Date(2026, 11, 21, 0, 15, 0, 0, time.UTC), StagingDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDailyReportMatchesIndependentSQL(t *testing.T) {
	pool, shop := seedDay(t)
	st := report.Local{Dir: t.TempDir()}
	m := build(t, pool, st)

	want := expectedRows(t, pool)
	if len(want) < 20 {
		t.Fatalf("only %d expected rows: the generated day is too small to prove much", len(want))
	}
	got := readCSV(t, readAll(t, st, report.DayPath(testDate, report.PlatformCSV)))
	if !reflect.DeepEqual(got, want) {
		for i := range min(len(got), len(want)) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("row %d:\n got %v\nwant %v", i, got[i], want[i])
			}
		}
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	var refunded bool
	for _, r := range got {
		refunded = refunded || r[11] != "0"
	}
	if !refunded {
		t.Error("no row carries the refund")
	}

	// Every file in the manifest is as described; the sellers' files split the platform's.
	var sellerRows [][]string
	for _, f := range m.Files {
		b := readAll(t, st, report.DayPath(testDate, f.Name))
		if int64(len(b)) != f.Bytes || sha(b) != f.SHA256 {
			t.Errorf("%s: %d bytes sha %s, manifest says %d bytes sha %s", f.Name, len(b), sha(b), f.Bytes, f.SHA256)
		}
		if strings.HasPrefix(f.Name, "sellers/") && strings.HasSuffix(f.Name, ".csv") {
			recs := readCSV(t, b)
			id := strings.TrimSuffix(strings.TrimPrefix(f.Name, "sellers/"), ".csv")
			for _, r := range recs {
				if r[5] != id {
					t.Fatalf("%s holds a row of seller %s", f.Name, r[5])
				}
			}
			if int64(len(recs)) != f.Rows {
				t.Errorf("%s: %d rows, manifest says %d", f.Name, len(recs), f.Rows)
			}
			sellerRows = append(sellerRows, recs...)
		}
	}
	if !reflect.DeepEqual(sellerRows, got) {
		t.Errorf("the sellers' files hold %d rows, not the platform's %d", len(sellerRows), len(got))
	}
	if len(m.Files) < 2+2*len(shop.Sellers)-2 {
		t.Errorf("manifest lists %d files for %d sellers", len(m.Files), len(shop.Sellers))
	}
}

func TestParquetReadsBackAsCSV(t *testing.T) {
	pool, _ := seedDay(t)
	st := report.Local{Dir: t.TempDir()}
	build(t, pool, st)
	for _, base := range []string{"platform", "sellers/" + firstSeller(t, st)} {
		csvRows := readCSV(t, readAll(t, st, report.DayPath(testDate, base+".csv")))
		b := readAll(t, st, report.DayPath(testDate, base+".parquet"))
		rows, err := parquet.Read[report.Row](bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s.parquet: %v", base, err)
		}
		var pqRows [][]string
		for _, r := range rows {
			pqRows = append(pqRows, r.Record())
		}
		if len(csvRows) == 0 || !reflect.DeepEqual(pqRows, csvRows) {
			t.Errorf("%s: parquet has %d rows, csv %d, or they differ", base, len(pqRows), len(csvRows))
		}
	}
}

func TestRerunIsByteIdentical(t *testing.T) {
	pool, _ := seedDay(t)
	st := report.Local{Dir: t.TempDir()}
	first := build(t, pool, st)
	manifest1 := readAll(t, st, report.DayPath(testDate, report.ManifestName))
	second := build(t, pool, st)
	manifest2 := readAll(t, st, report.DayPath(testDate, report.ManifestName))
	if !reflect.DeepEqual(first, second) || !bytes.Equal(manifest1, manifest2) {
		t.Fatalf("rerun differs:\n%s\n%s", manifest1, manifest2)
	}
}

// failingManifest is a storage whose publish dies just before the manifest, as a worker
// killed there would.
type failingManifest struct{ report.Storage }

func (f failingManifest) Put(ctx context.Context, name string, r io.Reader) error {
	if strings.HasSuffix(name, report.ManifestName) {
		return errors.New("killed")
	}
	return f.Storage.Put(ctx, name, r)
}

func TestInterruptedPublishLeavesNoManifest(t *testing.T) {
	pool, _ := seedDay(t)
	dir := t.TempDir()
	st := report.Local{Dir: dir}
	ctx := context.Background()
	build(t, pool, st) // a published day, then a rebuild that dies before its manifest
	if _, err := report.BuildDaily(ctx, pool, failingManifest{st}, report.DailyOptions{Date: testDate, StagingDir: t.TempDir()}); err == nil {
		t.Fatal("the interrupted build succeeded")
	}
	if _, err := report.ReadManifest(ctx, st, testDate); !errors.Is(err, report.ErrNotFound) {
		t.Fatalf("manifest after an interrupted rebuild: %v", err)
	}
	day, _ := report.ParseDate(testDate)
	if days, err := report.PublishedDays(ctx, st, day.AddDate(0, 0, -1), day); err != nil || len(days) != 0 {
		t.Fatalf("published days %v, %v; want none", days, err)
	}

	// A file half-written when the process died stays under its temporary name: never listed
	// nor opened, and the real name still holds a whole file.
	tmp := filepath.Join(dir, testDate, ".platform.csv.tmp-deadbeef")
	if err := os.WriteFile(tmp, []byte("date,categ"), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := st.List(ctx, testDate+"/")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if strings.Contains(o.Name, ".tmp-") {
			t.Errorf("temporary file listed: %s", o.Name)
		}
	}
	if _, err := st.Open(ctx, testDate+"/.platform.csv.tmp-deadbeef"); !errors.Is(err, report.ErrNotFound) {
		t.Errorf("temporary file opened: %v", err)
	}
	readCSV(t, readAll(t, st, report.DayPath(testDate, report.PlatformCSV)))

	// The retry publishes the day again.
	build(t, pool, st)
	if _, err := report.ReadManifest(ctx, st, testDate); err != nil {
		t.Fatal(err)
	}
}

func TestLocalRefusesNamesOutsideItsDirectory(t *testing.T) {
	st := report.Local{Dir: t.TempDir()}
	for _, name := range []string{"../x", "a/../../x", "/etc/passwd", "", "a//b", "a\\b"} {
		if _, err := st.Open(context.Background(), name); err == nil || errors.Is(err, report.ErrNotFound) {
			t.Errorf("Open(%q) = %v, want a bad-name error", name, err)
		}
	}
}

func firstSeller(t *testing.T, st report.Storage) string {
	t.Helper()
	m, err := report.ReadManifest(context.Background(), st, testDate)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		if id, ok := strings.CutPrefix(f.Name, "sellers/"); ok {
			return strings.TrimSuffix(strings.TrimSuffix(id, ".csv"), ".parquet")
		}
	}
	t.Fatal("no seller file")
	return ""
}
