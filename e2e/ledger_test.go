package e2e

// wantStockLedgerBalanced checks the stock ledger against the stock it explains, with SQL of its
// own: every product's on_hand and reserved equal the sums of its movements' deltas, no movement
// outlives its product, every checkout movement names its order, and what the ledger says was
// sold is what the committed reservations took.
func (e *env) wantStockLedgerBalanced() {
	e.t.Helper()
	if n := e.count(`
		SELECT count(*) FROM inventory i
		LEFT JOIN (SELECT product_id, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved
		           FROM stock_movements GROUP BY product_id) m USING (product_id)
		WHERE i.on_hand <> coalesce(m.on_hand, 0) OR i.reserved <> coalesce(m.reserved, 0)`); n != 0 {
		e.t.Errorf("%d products whose stock is not the sum of their movements", n)
	}
	if n := e.count(`SELECT count(*) FROM stock_movements m
		WHERE NOT EXISTS (SELECT 1 FROM inventory i WHERE i.product_id = m.product_id)`); n != 0 {
		e.t.Errorf("%d stock movements of products that have no stock", n)
	}
	if n := e.count(`SELECT count(*) FROM stock_movements
		WHERE kind IN ('reservation', 'release', 'sale') AND order_id IS NULL`); n != 0 {
		e.t.Errorf("%d checkout stock movements without their order", n)
	}
	if n := e.count(`
		SELECT count(*) FROM
		    (SELECT product_id, sum(quantity) AS sold FROM reservations WHERE status = 'committed' GROUP BY product_id) r
		FULL JOIN
		    (SELECT product_id, -sum(on_hand_delta) AS sold FROM stock_movements WHERE kind = 'sale' GROUP BY product_id) m
		USING (product_id)
		WHERE r.sold IS DISTINCT FROM m.sold`); n != 0 {
		e.t.Errorf("%d products whose sale movements differ from their committed reservations", n)
	}
}
