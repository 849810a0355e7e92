package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SearchChannel is the Postgres notification channel search_changes inserts are announced on
// (by a statement trigger, migration 00014); worker.SearchPush listens on it.
const SearchChannel = "shopflow_search"

// SearchChange is a queued index change of a product. From PendingSearchChanges it stands for
// all the product's pending changes up to ID: applying the document once applies them all,
// since it is read as it is now.
type SearchChange struct {
	ID        int64
	ProductID int64
}

// ExpandSearchChanges turns queued category and seller changes (a rename or a move) into one
// change per product they hold, in the applier's transaction rather than the admin's, and
// returns how many it expanded. A category's change covers its whole subtree.
func (s *Store) ExpandSearchChanges(ctx context.Context, limit int) (int, error) {
	var n int
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, category_id, seller_id::text FROM search_changes
			WHERE applied_at IS NULL AND product_id IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
		if err != nil {
			return err
		}
		type group struct {
			id       int64
			category *int64
			seller   *string
		}
		groups, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (group, error) {
			var g group
			return g, r.Scan(&g.id, &g.category, &g.seller)
		})
		if err != nil {
			return err
		}
		for _, g := range groups {
			if err := expandSearchChange(ctx, tx, g.id, g.category, g.seller); err != nil {
				return err
			}
		}
		n = len(groups)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expand search changes: %w", classify(err, "search change"))
	}
	return n, nil
}

func expandSearchChange(ctx context.Context, tx pgx.Tx, id int64, category *int64, seller *string) error {
	var err error
	if category != nil {
		_, err = tx.Exec(ctx, `WITH RECURSIVE subtree AS (
				SELECT id FROM categories WHERE id = $1
				UNION SELECT c.id FROM categories c JOIN subtree t ON c.parent_id = t.id)
			INSERT INTO search_changes (product_id, reason)
			SELECT id, 'category' FROM products WHERE category_id IN (SELECT id FROM subtree)`, *category)
	} else {
		_, err = tx.Exec(ctx, `INSERT INTO search_changes (product_id, reason)
			SELECT id, 'seller' FROM products WHERE seller_id = $1::uuid`, *seller)
	}
	if err != nil {
		return fmt.Errorf("expand change %d: %w", id, err)
	}
	_, err = tx.Exec(ctx, `UPDATE search_changes SET applied_at = now() WHERE id = $1`, id)
	return err
}

// PendingSearchChanges returns up to limit products with changes not yet applied, those
// changed longest ago first, each with its newest pending change. Only the oldest pending rows
// are looked at (a few times limit), so a batch costs the same however long the queue is.
func (s *Store) PendingSearchChanges(ctx context.Context, limit int) ([]SearchChange, error) {
	rows, err := s.Pool.Query(ctx, `WITH oldest AS (
			SELECT id, product_id FROM search_changes
			WHERE applied_at IS NULL AND product_id IS NOT NULL ORDER BY id LIMIT $1 * 4)
		SELECT max(id), product_id FROM oldest GROUP BY product_id ORDER BY min(id) LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("pending search changes: %w", classify(err, "search change"))
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[SearchChange])
	if err != nil {
		return nil, fmt.Errorf("pending search changes: %w", classify(err, "search change"))
	}
	return out, nil
}

// SearchChangesPending reports whether any change waits to be applied.
func (s *Store) SearchChangesPending(ctx context.Context) (bool, error) {
	var pending bool
	if err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM search_changes WHERE applied_at IS NULL)`).Scan(&pending); err != nil {
		return false, fmt.Errorf("search changes pending: %w", classify(err, "search change"))
	}
	return pending, nil
}

// MarkSearchChangesApplied records that the products' changes up to each one's ID reached the
// index.
func (s *Store) MarkSearchChangesApplied(ctx context.Context, changes []SearchChange) error {
	if err := s.markSearchChanges(ctx, changes, true); err != nil {
		return fmt.Errorf("mark %d products' search changes applied: %w", len(changes), err)
	}
	return nil
}

// CollapseSearchChanges keeps only the newest pending change of each product the index
// refused: the older ones would write the same document, and a product refused again and
// again must not fill every batch and hold up the products queued behind it.
func (s *Store) CollapseSearchChanges(ctx context.Context, changes []SearchChange) error {
	if err := s.markSearchChanges(ctx, changes, false); err != nil {
		return fmt.Errorf("collapse %d products' search changes: %w", len(changes), err)
	}
	return nil
}

// markSearchChanges marks each product's pending changes before its change's ID applied, and
// that change too when including.
func (s *Store) markSearchChanges(ctx context.Context, changes []SearchChange, including bool) error {
	if len(changes) == 0 {
		return nil
	}
	products, ids := make([]int64, len(changes)), make([]int64, len(changes))
	for i, c := range changes {
		products[i], ids[i] = c.ProductID, c.ID
	}
	_, err := s.Pool.Exec(ctx, `UPDATE search_changes s SET applied_at = now()
		FROM unnest($1::bigint[], $2::bigint[]) AS c(product_id, id)
		WHERE s.product_id = c.product_id AND (s.id < c.id OR ($3 AND s.id = c.id)) AND s.applied_at IS NULL`,
		products, ids, including)
	return classify(err, "search change")
}

// SearchHorizon is the oldest transaction still running: every change queued by an older one
// is visible now, so a reindex that starts reading after this point and later replays the
// changes of transactions from the horizon on misses none.
func (s *Store) SearchHorizon(ctx context.Context) (uint64, error) {
	var xid uint64
	if err := s.Pool.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&xid); err != nil {
		return 0, fmt.Errorf("search horizon: %w", classify(err, "search change"))
	}
	return xid, nil
}

// LastSearchChange is the id of the newest change queued so far (0 when none is).
func (s *Store) LastSearchChange(ctx context.Context) (int64, error) {
	var id int64
	if err := s.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM search_changes`).Scan(&id); err != nil {
		return 0, fmt.Errorf("last search change: %w", classify(err, "search change"))
	}
	return id, nil
}

// SearchChangesSince returns the products changed by transactions from horizon on, with change
// ids in (afterID, upTo], up to limit changes: what a reindex replays. last is the last change
// read.
func (s *Store) SearchChangesSince(ctx context.Context, horizon uint64, afterID, upTo int64, limit int) (products []int64, last int64, n int, err error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, product_id FROM search_changes
		WHERE xid >= $1::text::xid8 AND id > $2 AND id <= $3 AND product_id IS NOT NULL ORDER BY id LIMIT $4`,
		fmt.Sprint(horizon), afterID, upTo, limit)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("search changes since %d: %w", horizon, classify(err, "search change"))
	}
	changes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[SearchChange])
	if err != nil {
		return nil, 0, 0, fmt.Errorf("search changes since %d: %w", horizon, classify(err, "search change"))
	}
	last = afterID
	seen := map[int64]bool{}
	for _, c := range changes {
		last = c.ID
		if !seen[c.ProductID] {
			seen[c.ProductID] = true
			products = append(products, c.ProductID)
		}
	}
	return products, last, len(changes), nil
}

// SearchBacklog is how many changes wait to be applied and how old the oldest is.
func (s *Store) SearchBacklog(ctx context.Context) (pending int64, oldest time.Duration, err error) {
	var age *float64
	err = s.Pool.QueryRow(ctx, `SELECT count(*), extract(epoch FROM now() - min(created_at))::float8
		FROM search_changes WHERE applied_at IS NULL`).Scan(&pending, &age)
	if err != nil {
		return 0, 0, fmt.Errorf("search backlog: %w", classify(err, "search change"))
	}
	if age != nil {
		oldest = time.Duration(*age * float64(time.Second))
	}
	return pending, oldest, nil
}

// DeleteAppliedSearchChanges forgets changes applied before cutoff, up to limit rows.
func (s *Store) DeleteAppliedSearchChanges(ctx context.Context, cutoff time.Time, limit int) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `DELETE FROM search_changes WHERE id IN (
		SELECT id FROM search_changes WHERE applied_at < $1 ORDER BY applied_at LIMIT $2)`, cutoff, limit)
	if err != nil {
		return 0, fmt.Errorf("delete applied search changes: %w", classify(err, "search change"))
	}
	return tag.RowsAffected(), nil
}
