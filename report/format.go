package report

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
)

// FormatVersion is the version of the file layout and columns; it changes when a column does.
const FormatVersion = 2

// Row is one line of a daily report: one product's sales in one currency on the day. Money is
// integer minor units of Currency.
type Row struct {
	Date              string `parquet:"date"`
	CategoryID        int64  `parquet:"category_id"`
	CategoryName      string `parquet:"category_name"`
	ProductID         int64  `parquet:"product_id"`
	ProductName       string `parquet:"product_name"`
	SellerID          string `parquet:"seller_id"`
	SellerName        string `parquet:"seller_name"`
	Units             int64  `parquet:"units"`
	Orders            int64  `parquet:"orders"`
	GrossRevenueCents int64  `parquet:"gross_revenue_cents"`
	DiscountCents     int64  `parquet:"discount_cents"`
	RefundsCents      int64  `parquet:"refunds_cents"`
	NetRevenueCents   int64  `parquet:"net_revenue_cents"`
	TaxCents          int64  `parquet:"tax_cents"`
	Currency          string `parquet:"currency"`
}

// Columns are the CSV header, in the order of Row's fields.
var Columns = []string{"date", "category_id", "category_name", "product_id", "product_name", "seller_id", "seller_name",
	"units", "orders", "gross_revenue_cents", "discount_cents", "refunds_cents", "net_revenue_cents", "tax_cents", "currency"}

// Record is the row as CSV fields.
func (r Row) Record() []string {
	return []string{r.Date, strconv.FormatInt(r.CategoryID, 10), r.CategoryName, strconv.FormatInt(r.ProductID, 10), r.ProductName,
		r.SellerID, r.SellerName, strconv.FormatInt(r.Units, 10), strconv.FormatInt(r.Orders, 10),
		strconv.FormatInt(r.GrossRevenueCents, 10), strconv.FormatInt(r.DiscountCents, 10), strconv.FormatInt(r.RefundsCents, 10),
		strconv.FormatInt(r.NetRevenueCents, 10), strconv.FormatInt(r.TaxCents, 10), r.Currency}
}

// Manifest describes one day's published files; it is written last, so a day without one is
// not (or not yet) published.
type Manifest struct {
	FormatVersion int    `json:"format_version"`
	Date          string `json:"date"`
	TimeZone      string `json:"time_zone"`
	// GeneratedAt is when the report was due (the Schedule's time), so a rerun is identical.
	GeneratedAt time.Time `json:"generated_at"`
	Files       []File    `json:"files"`
}

// File is one data file of a day, named relative to the day's directory.
type File struct {
	Name   string `json:"name"`
	Rows   int64  `json:"rows"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// Has says whether the manifest lists the file name.
func (m Manifest) Has(name string) bool {
	for _, f := range m.Files {
		if f.Name == name {
			return true
		}
	}
	return false
}

// parquetRowGroup is how many rows one Parquet row group holds: the writer buffers one group,
// so this bounds its memory whatever the day's size.
const parquetRowGroup = 50_000

// fileWriter writes one report (CSV or Parquet) to w, counting rows, bytes and the sha256.
type fileWriter struct {
	name  string
	count *countingWriter
	csv   *csv.Writer
	pq    *parquet.GenericWriter[Row]
	rows  int64
	batch []Row
}

func newFileWriter(name string, w io.Writer, parquetFormat bool) (*fileWriter, error) {
	cw := &countingWriter{w: w, h: sha256.New()}
	fw := &fileWriter{name: name, count: cw}
	if parquetFormat {
		// CreatedBy is fixed so the bytes do not depend on the library's build.
		fw.pq = parquet.NewGenericWriter[Row](cw, parquet.CreatedBy("shopflow", strconv.Itoa(FormatVersion), ""),
			parquet.Compression(&parquet.Zstd), parquet.MaxRowsPerRowGroup(parquetRowGroup))
		return fw, nil
	}
	fw.csv = csv.NewWriter(cw)
	fw.csv.UseCRLF = true // RFC 4180
	if err := fw.csv.Write(Columns); err != nil {
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	return fw, nil
}

func (f *fileWriter) write(r Row) error {
	f.rows++
	if f.csv != nil {
		if err := f.csv.Write(r.Record()); err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
		return nil
	}
	f.batch = append(f.batch, r)
	if len(f.batch) == 1024 {
		return f.flushBatch()
	}
	return nil
}

func (f *fileWriter) flushBatch() error {
	if len(f.batch) == 0 {
		return nil
	}
	if _, err := f.pq.Write(f.batch); err != nil {
		return fmt.Errorf("write %s: %w", f.name, err)
	}
	f.batch = f.batch[:0]
	return nil
}

// close finishes the file and describes it.
func (f *fileWriter) close() (File, error) {
	if f.csv != nil {
		f.csv.Flush()
		if err := f.csv.Error(); err != nil {
			return File{}, fmt.Errorf("write %s: %w", f.name, err)
		}
	} else {
		if err := f.flushBatch(); err != nil {
			return File{}, err
		}
		if err := f.pq.Close(); err != nil {
			return File{}, fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	return File{Name: f.name, Rows: f.rows, SHA256: hex.EncodeToString(f.count.h.Sum(nil)), Bytes: f.count.n}, nil
}

type countingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}
