package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

// DB is what the daily report reads through: a pgxpool.Pool.
type DB interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// DailyOptions says which day to report and how.
type DailyOptions struct {
	// Date is the day, YYYY-MM-DD, in Location (UTC when nil): [00:00, next day 00:00).
	Date     string
	Location *time.Location
	// GeneratedAt goes into the manifest; the Schedule's time, so a rerun is byte-identical.
	GeneratedAt time.Time
	// StagingDir holds the files while they are written (the system's temporary directory
	// when empty); they are removed when the report is published.
	StagingDir string
	// Progress, when set, is called every few thousand rows with the rows read so far.
	Progress func(rows int64)
}

// Day paths, relative to the storage root.
const (
	ManifestName = "manifest.json"
	PlatformCSV  = "platform.csv"
	PlatformPQ   = "platform.parquet"
)

// SellerFile is the name of a seller's report in a day's directory, ext "csv" or "parquet".
func SellerFile(sellerID, ext string) string { return "sellers/" + sellerID + "." + ext }

// DayPath is the storage name of a file of a day.
func DayPath(date, name string) string { return date + "/" + name }

// ParseDate parses YYYY-MM-DD strictly.
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || d.Format(time.DateOnly) != s {
		return time.Time{}, fmt.Errorf("date %q is not YYYY-MM-DD", s)
	}
	return d, nil
}

// fetchSize is how many rows one FETCH from the cursor brings: memory is flat in the day's size.
const fetchSize = 2000

// dailyQuery computes the day's rows, sorted by seller then product, so one pass writes the
// platform file and each seller's file in turn. Refunds are the refund lines of our own orders
// whose refund succeeded during the day, whenever they were sold, valued like sales (units at
// their price less their share of the discount, without tax); whole orders refunded before
// refund lines existed (a 'refunded' event and no refund rows) count all their lines. Ingested
// orders carry no refund information. Names are today's; ids, seller and category are as at the sale.
const dailyQuery = `
WITH sold AS (
	SELECT seller_id, product_id, category_id, currency, sum(quantity)::bigint AS units,
	       count(DISTINCT (source, external_order_id))::bigint AS orders,
	       sum(quantity::bigint * unit_price_cents)::bigint AS gross,
	       sum(discount_cents)::bigint AS discount, sum(tax_cents)::bigint AS tax
	FROM sales_facts WHERE ordered_at >= $1 AND ordered_at < $2
	GROUP BY seller_id, product_id, category_id, currency),
refunded AS (
	SELECT seller_id, product_id, category_id, currency, sum(refunds)::bigint AS refunds
	FROM (SELECT l.seller_id, l.product_id, l.category_id, l.currency, l.quantity::bigint * l.unit_price_cents - l.discount_cents AS refunds
	      FROM refunds r JOIN refund_lines l ON l.refund_id = r.id
	      WHERE r.status = 'succeeded' AND r.succeeded_at >= $1 AND r.succeeded_at < $2
	      UNION ALL
	      SELECT seller_id, product_id, category_id, currency, quantity::bigint * unit_price_cents - discount_cents
	      FROM sales_facts
	      WHERE source = 'shopflow' AND external_order_id IN (
	          SELECT e.order_id::text FROM order_events e WHERE e.status = 'refunded' AND e.created_at >= $1 AND e.created_at < $2
	          AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = e.order_id))) u
	GROUP BY seller_id, product_id, category_id, currency)
SELECT x.seller_id::text, coalesce(s.store_name, ''), x.category_id, coalesce(c.name, ''), x.product_id, coalesce(p.name, ''),
       coalesce(x.units, 0), coalesce(x.orders, 0), coalesce(x.gross, 0), coalesce(x.discount, 0), coalesce(x.refunds, 0),
       coalesce(x.tax, 0), x.currency
FROM (SELECT * FROM sold FULL JOIN refunded USING (seller_id, product_id, category_id, currency)) x
LEFT JOIN sellers s ON s.id = x.seller_id
LEFT JOIN categories c ON c.id = x.category_id
LEFT JOIN products p ON p.id = x.product_id
ORDER BY x.seller_id, x.product_id, x.category_id, x.currency`

// BuildDaily computes the day's reports from the sales facts and publishes them: each seller's
// files as the cursor passes them, then the platform files, then the manifest. The previous
// manifest is removed first, so while a day is rebuilt readers treat it as not published and
// never pair an old manifest with new files. Running it again gives the same bytes.
func BuildDaily(ctx context.Context, db DB, st Storage, opts DailyOptions) (Manifest, error) {
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	if _, err := ParseDate(opts.Date); err != nil {
		return Manifest{}, err
	}
	start, _ := time.ParseInLocation(time.DateOnly, opts.Date, loc)
	end := start.AddDate(0, 0, 1)
	m := Manifest{FormatVersion: FormatVersion, Date: opts.Date, TimeZone: loc.String(), GeneratedAt: opts.GeneratedAt.UTC()}

	if err := st.Delete(ctx, DayPath(opts.Date, ManifestName)); err != nil {
		return m, err
	}
	stage, err := os.MkdirTemp(opts.StagingDir, "report-"+opts.Date+"-")
	if err != nil {
		return m, fmt.Errorf("report %s: staging: %w", opts.Date, err)
	}
	defer os.RemoveAll(stage)

	b := &dayBuilder{ctx: ctx, st: st, date: opts.Date, stage: stage}
	platform, err := b.open("platform")
	if err != nil {
		return m, err
	}
	defer platform.abandon()
	split := &sellerSplit{b: b, platform: platform}
	defer split.abandon()
	if err := readDay(ctx, db, opts, start, end, split.add); err != nil {
		return m, err
	}
	sellerFiles, err := split.finish()
	if err != nil {
		return m, err
	}
	files, err := b.publish(platform)
	if err != nil {
		return m, err
	}
	m.Files = append(files, sellerFiles...)
	doc, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if err := st.Put(ctx, DayPath(opts.Date, ManifestName), bytes.NewReader(append(doc, '\n'))); err != nil {
		return m, err
	}
	return m, nil
}

// readDay streams the day's rows, in seller order, through a server-side cursor in one
// read-only snapshot, so a day of any size is read in constant memory and sees one instant.
func readDay(ctx context.Context, db DB, opts DailyOptions, start, end time.Time, each func(Row) error) error {
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("report %s: begin: %w", opts.Date, err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "DECLARE daily_report NO SCROLL CURSOR FOR "+dailyQuery, start, end); err != nil {
		return fmt.Errorf("report %s: query: %w", opts.Date, err)
	}
	var read int64
	for {
		rows, err := tx.Query(ctx, fmt.Sprintf("FETCH FORWARD %d FROM daily_report", fetchSize))
		if err != nil {
			return fmt.Errorf("report %s: fetch: %w", opts.Date, err)
		}
		n := 0
		var r Row
		_, err = pgx.ForEachRow(rows, []any{&r.SellerID, &r.SellerName, &r.CategoryID, &r.CategoryName, &r.ProductID, &r.ProductName,
			&r.Units, &r.Orders, &r.GrossRevenueCents, &r.DiscountCents, &r.RefundsCents, &r.TaxCents, &r.Currency}, func() error {
			n++
			r.Date = opts.Date
			r.NetRevenueCents = r.GrossRevenueCents - r.DiscountCents - r.RefundsCents
			return each(r)
		})
		if err != nil {
			return fmt.Errorf("report %s: %w", opts.Date, err)
		}
		read += int64(n)
		if opts.Progress != nil {
			opts.Progress(read)
		}
		if n < fetchSize {
			return nil
		}
	}
}

// sellerSplit writes each row to the platform file and to its seller's file, publishing a
// seller's files as soon as the rows (in seller order) move past that seller.
type sellerSplit struct {
	b        *dayBuilder
	platform *pair
	seller   *pair
	files    []File
}

func (s *sellerSplit) add(r Row) error {
	if s.seller == nil || s.seller.id != r.SellerID {
		if err := s.publishSeller(); err != nil {
			return err
		}
		seller, err := s.b.open(r.SellerID)
		if err != nil {
			return err
		}
		s.seller = seller
	}
	if err := s.platform.write(r); err != nil {
		return err
	}
	return s.seller.write(r)
}

func (s *sellerSplit) publishSeller() error {
	if s.seller == nil {
		return nil
	}
	files, err := s.b.publish(s.seller)
	if err != nil {
		return err
	}
	s.seller = nil
	s.files = append(s.files, files...)
	return nil
}

// finish publishes the last seller's files and returns every seller file published.
func (s *sellerSplit) finish() ([]File, error) {
	if err := s.publishSeller(); err != nil {
		return nil, err
	}
	return s.files, nil
}

// abandon drops a seller's half-written files after a failure.
func (s *sellerSplit) abandon() {
	if s.seller != nil {
		s.seller.abandon()
	}
}

// dayBuilder stages and publishes the files of one day.
type dayBuilder struct {
	ctx   context.Context
	st    Storage
	date  string
	stage string
}

// pair is one report in both formats: the platform's (id "platform") or a seller's.
type pair struct {
	id       string
	csv, pq  *fileWriter
	csvFile  *os.File
	pqFile   *os.File
	csvName  string
	pqName   string
	finished bool
}

func (b *dayBuilder) open(id string) (*pair, error) {
	p := &pair{id: id, csvName: PlatformCSV, pqName: PlatformPQ}
	if id != "platform" {
		p.csvName, p.pqName = SellerFile(id, "csv"), SellerFile(id, "parquet")
	}
	var err error
	if p.csvFile, err = os.CreateTemp(b.stage, "*.csv"); err != nil {
		return nil, fmt.Errorf("report %s: stage %s: %w", b.date, p.csvName, err)
	}
	if p.pqFile, err = os.CreateTemp(b.stage, "*.parquet"); err != nil {
		p.abandon()
		return nil, fmt.Errorf("report %s: stage %s: %w", b.date, p.pqName, err)
	}
	if p.csv, err = newFileWriter(p.csvName, p.csvFile, false); err != nil {
		p.abandon()
		return nil, err
	}
	p.pq, _ = newFileWriter(p.pqName, p.pqFile, true)
	return p, nil
}

func (p *pair) write(r Row) error {
	if err := p.csv.write(r); err != nil {
		return err
	}
	return p.pq.write(r)
}

// abandon removes the staged files of a pair not published (the staging directory goes too).
func (p *pair) abandon() {
	if p.finished {
		return
	}
	p.finished = true
	for _, f := range []*os.File{p.csvFile, p.pqFile} {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
}

// publish finishes both files of the pair and puts them in the storage.
func (b *dayBuilder) publish(p *pair) ([]File, error) {
	defer p.abandon()
	var out []File
	for _, w := range []struct {
		fw *fileWriter
		f  *os.File
	}{{p.csv, p.csvFile}, {p.pq, p.pqFile}} {
		desc, err := w.fw.close()
		if err != nil {
			return nil, fmt.Errorf("report %s: %w", b.date, err)
		}
		if _, err := w.f.Seek(0, 0); err != nil {
			return nil, fmt.Errorf("report %s: %w", b.date, err)
		}
		if err := b.st.Put(b.ctx, DayPath(b.date, desc.Name), w.f); err != nil {
			return nil, fmt.Errorf("report %s: %w", b.date, err)
		}
		out = append(out, desc)
	}
	return out, nil
}

// ReadManifest reads the manifest of a published day; an unpublished day is ErrNotFound.
func ReadManifest(ctx context.Context, st Storage, date string) (Manifest, error) {
	var m Manifest
	if _, err := ParseDate(date); err != nil {
		return m, err
	}
	rc, err := st.Open(ctx, DayPath(date, ManifestName))
	if err != nil {
		return m, err
	}
	defer rc.Close()
	if err := json.NewDecoder(rc).Decode(&m); err != nil {
		return m, fmt.Errorf("read manifest of %s: %w", date, err)
	}
	return m, nil
}

// PublishedDays returns the manifests of the published days from..to (inclusive), oldest
// first. Days without a manifest (never built, or being rebuilt) are left out.
func PublishedDays(ctx context.Context, st Storage, from, to time.Time) ([]Manifest, error) {
	var out []Manifest
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		m, err := ReadManifest(ctx, st, d.Format(time.DateOnly))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
