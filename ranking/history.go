package ranking

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// RankHistoryRetention is how long a seller's hourly overall ranks are kept for its analytics:
// a little over a year, so a year's weekly history can be read back.
const RankHistoryRetention = 400 * 24 * time.Hour

// RecordRankHistory keeps every ranked seller's overall rank in r, under r's period (its
// window's end), and forgets ranks older than RankHistoryRetention before that period. A rerun
// of the period writes the ranks it computed again, so retries are safe and a late run brings
// the history in line with the ranking it published.
func RecordRankHistory(ctx context.Context, db DB, r Ranking) error {
	period := r.Window.To.UTC()
	tx, err := db.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("record rank history for %s: begin: %w", period.Format(time.RFC3339), err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit a no-op
	ids, ranks, of := make([]string, len(r.Sellers)), make([]int32, len(r.Sellers)), make([]int32, len(r.Sellers))
	for i, s := range r.Sellers {
		ids[i], ranks[i], of[i] = s.SellerID, int32(s.Overall.Rank), int32(s.Overall.Of)
	}
	// Sellers deleted since the ranking was read are skipped (the join), not a failure.
	_, err = tx.Exec(ctx, `
		INSERT INTO seller_rank_history AS h (seller_id, period_end, rank, of_sellers)
		SELECT n.seller_id, $1, n.rank, n.of_sellers
		FROM unnest($2::uuid[], $3::int[], $4::int[]) AS n (seller_id, rank, of_sellers)
		JOIN sellers s ON s.id = n.seller_id
		WHERE n.rank > 0
		ORDER BY n.seller_id
		ON CONFLICT (seller_id, period_end) DO UPDATE SET rank = EXCLUDED.rank, of_sellers = EXCLUDED.of_sellers`,
		period, ids, ranks, of)
	if err != nil {
		return fmt.Errorf("record rank history for %s: %w", period.Format(time.RFC3339), err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM seller_rank_history WHERE period_end < $1`, period.Add(-RankHistoryRetention)); err != nil {
		return fmt.Errorf("record rank history for %s: retention: %w", period.Format(time.RFC3339), err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("record rank history for %s: commit: %w", period.Format(time.RFC3339), err)
	}
	return nil
}
