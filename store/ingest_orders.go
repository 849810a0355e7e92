package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// SaleKey is the once-only key of an order line, shared by every path that reports sales.
type SaleKey struct {
	Source          string
	ExternalOrderID string
	LineNo          int
}

// ExistingProducts says which of ids name a product, in any status: an outside system may
// report the sale of a product archived since.
func (s *Store) ExistingProducts(ctx context.Context, ids []int64) (map[int64]bool, error) {
	found := make(map[int64]bool, len(ids))
	if len(ids) == 0 {
		return found, nil
	}
	rows, err := s.Pool.Query(ctx, `SELECT id FROM products WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("look up %d products: %w", len(ids), err)
	}
	existing, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("look up %d products: %w", len(ids), err)
	}
	for _, id := range existing {
		found[id] = true
	}
	return found, nil
}

// RecordSalesPerLine is RecordSales for callers that answer per order (the ingest API): it
// counts the lines in one transaction, through the same RecordSalesTx as every other path, and
// says for each line whether this call counted it. A key that appears more than once in lines
// is submitted from its first line only, and only that line is credited. Products must exist.
//
// Which keys this call counted is read as the keys present after counting but not before. Under
// READ COMMITTED another path may commit one of the keys between the two looks; then more keys
// appear than were counted, and the transaction is rolled back and run again, now seeing that
// key as counted before. Each retry needs another path to count one of these very keys first,
// so retries are few; the attempts are bounded anyway.
func (s *Store) RecordSalesPerLine(ctx context.Context, lines []SaleLine) ([]bool, error) {
	counted := make([]bool, len(lines))
	if len(lines) == 0 {
		return counted, nil
	}
	firstOf := make(map[SaleKey]int, len(lines))
	unique := make([]SaleLine, 0, len(lines))
	for i, l := range lines {
		k := saleKeyOf(l)
		if _, seen := firstOf[k]; !seen {
			firstOf[k] = i
			unique = append(unique, l)
		}
	}
	var fresh map[SaleKey]bool
	var err error
	for range maxRecountAttempts {
		err = s.InTx(ctx, func(tx pgx.Tx) error {
			var err error
			fresh, err = recordSalesPerKey(ctx, tx, unique)
			return err
		})
		if !errors.Is(err, errSalesRaced) {
			break
		}
	}
	if errors.Is(err, errSalesRaced) {
		err = errs.Wrap(err, errs.Unavailable, "these orders are being counted by another request right now; try again")
	}
	if err != nil {
		return nil, fmt.Errorf("record %d sale lines: %w", len(lines), classify(err, "sale"))
	}
	for k, i := range firstOf {
		counted[i] = fresh[k]
	}
	return counted, nil
}

// maxRecountAttempts bounds the reruns of RecordSalesPerLine after another path raced it.
const maxRecountAttempts = 5

// errSalesRaced says another transaction committed some of the keys while they were counted.
var errSalesRaced = errors.New("sale keys were counted concurrently by another transaction")

// recordSalesPerKey counts lines (distinct keys) in tx and returns the keys it counted, or
// errSalesRaced when it cannot tell them from keys committed meanwhile by others.
func recordSalesPerKey(ctx context.Context, tx pgx.Tx, lines []SaleLine) (map[SaleKey]bool, error) {
	before, err := countedKeys(ctx, tx, lines)
	if err != nil {
		return nil, err
	}
	n, err := RecordSalesTx(ctx, tx, lines)
	if err != nil {
		return nil, err
	}
	after, err := countedKeys(ctx, tx, lines)
	if err != nil {
		return nil, err
	}
	// Every key this transaction counted is in after and not in before (sale keys are never
	// deleted); so when the numbers agree, the new keys are exactly this transaction's.
	fresh := make(map[SaleKey]bool, n)
	for k := range after {
		if !before[k] {
			fresh[k] = true
		}
	}
	if int64(len(fresh)) != n {
		return nil, errSalesRaced
	}
	return fresh, nil
}

// countedKeys returns which of the lines' keys tx sees in sale_keys.
func countedKeys(ctx context.Context, tx pgx.Tx, lines []SaleLine) (map[SaleKey]bool, error) {
	sources := make([]string, len(lines))
	orders := make([]string, len(lines))
	lineNos := make([]int32, len(lines))
	for i, l := range lines {
		sources[i], orders[i], lineNos[i] = l.Source, l.ExternalOrderID, int32(l.LineNo)
	}
	rows, err := tx.Query(ctx, `
		SELECT sk.source, sk.external_order_id, sk.line_no
		FROM unnest($1::text[], $2::text[], $3::int[]) AS k(source, external_order_id, line_no)
		JOIN sale_keys sk USING (source, external_order_id, line_no)`, sources, orders, lineNos)
	if err != nil {
		return nil, fmt.Errorf("look up sale keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SaleKey, error) {
		var k SaleKey
		err := r.Scan(&k.Source, &k.ExternalOrderID, &k.LineNo)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("look up sale keys: %w", err)
	}
	found := make(map[SaleKey]bool, len(keys))
	for _, k := range keys {
		found[k] = true
	}
	return found, nil
}

func saleKeyOf(l SaleLine) SaleKey {
	return SaleKey{Source: l.Source, ExternalOrderID: l.ExternalOrderID, LineNo: l.LineNo}
}
