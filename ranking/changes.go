package ranking

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// RankChange is a seller whose overall rank moved by at least the threshold between the rank it
// last heard of and the ranking of PeriodEnd.
type RankChange struct {
	PeriodEnd time.Time
	SellerID  string
	OldRank   int
	NewRank   int
	Of        int
}

// RecordRankChanges compares every ranked seller's overall rank in r with its baseline (the
// rank it last heard of) and records, for r's period, each seller that moved by threshold
// places or more; their baselines become the new rank. A seller seen for the first time gets
// its rank as baseline and no alert. It returns how many alerts the period has.
//
// It is idempotent per period: a baseline remembers the newest period compared with it, so a
// retried, repeated or late run of a period not newer than that records nothing and moves no
// baseline, and the count returned is that of the alerts already recorded. Sellers that fell
// out of the ranking (no sales in the window) keep their baselines.
func RecordRankChanges(ctx context.Context, db DB, r Ranking, threshold int) (int, error) {
	if threshold <= 0 {
		return 0, fmt.Errorf("record rank changes: threshold %d must be positive", threshold)
	}
	period := r.Window.To.UTC()
	tx, err := db.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return 0, fmt.Errorf("record rank changes for %s: begin: %w", period.Format(time.RFC3339), err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit a no-op
	n, err := recordRankChanges(ctx, tx, period, r, threshold)
	if err != nil {
		return 0, fmt.Errorf("record rank changes for %s: %w", period.Format(time.RFC3339), err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("record rank changes for %s: commit: %w", period.Format(time.RFC3339), err)
	}
	return n, nil
}

func recordRankChanges(ctx context.Context, tx pgx.Tx, period time.Time, r Ranking, threshold int) (int, error) {
	// Runs for different hours may overlap (a manual trigger beside the Schedule): one at a
	// time moves baselines, so each comparison sees the one before it.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('shopflow.seller_rank_marks'))`); err != nil {
		return 0, fmt.Errorf("lock baselines: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE rank_now (seller_id uuid PRIMARY KEY, rank integer, of_sellers integer) ON COMMIT DROP`); err != nil {
		return 0, fmt.Errorf("stage ranks: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"rank_now"}, []string{"seller_id", "rank", "of_sellers"},
		pgx.CopyFromSlice(len(r.Sellers), func(i int) ([]any, error) {
			s := r.Sellers[i]
			return []any{s.SellerID, s.Overall.Rank, s.Overall.Of}, nil
		})); err != nil {
		return 0, fmt.Errorf("stage ranks: %w", err)
	}
	// Alerts first (they read the old baselines), then the baselines: moved ones take the new
	// rank, every compared one remembers this period, new sellers start at their rank.
	_, err := tx.Exec(ctx, `
		INSERT INTO seller_rank_changes (period_end, seller_id, old_rank, new_rank, of_sellers)
		SELECT $1, n.seller_id, m.rank, n.rank, n.of_sellers
		FROM rank_now n JOIN seller_rank_marks m USING (seller_id)
		WHERE m.seen_until < $1 AND abs(n.rank - m.rank) >= $2
		ON CONFLICT DO NOTHING`, period, threshold)
	if err != nil {
		return 0, fmt.Errorf("record alerts: %w", err)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO seller_rank_marks AS m (seller_id, rank, of_sellers, marked_for, seen_until)
		SELECT seller_id, rank, of_sellers, $1, $1 FROM rank_now
		ON CONFLICT (seller_id) DO UPDATE SET
			rank       = CASE WHEN abs(excluded.rank - m.rank) >= $2 THEN excluded.rank ELSE m.rank END,
			of_sellers = CASE WHEN abs(excluded.rank - m.rank) >= $2 THEN excluded.of_sellers ELSE m.of_sellers END,
			marked_for = CASE WHEN abs(excluded.rank - m.rank) >= $2 THEN excluded.marked_for ELSE m.marked_for END,
			seen_until = excluded.seen_until
		WHERE m.seen_until < excluded.seen_until`, period, threshold)
	if err != nil {
		return 0, fmt.Errorf("move baselines: %w", err)
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM seller_rank_changes WHERE period_end = $1`, period).Scan(&n); err != nil {
		return 0, fmt.Errorf("count alerts: %w", err)
	}
	return n, nil
}

// RankChanges lists up to limit alerts of the period for sellers after the seller id after (""
// starts at the first), in seller id order.
func RankChanges(ctx context.Context, db interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, period time.Time, after string, limit int) ([]RankChange, error) {
	if after == "" {
		after = "00000000-0000-0000-0000-000000000000"
	}
	rows, err := db.Query(ctx, `SELECT period_end, seller_id::text, old_rank, new_rank, of_sellers
		FROM seller_rank_changes WHERE period_end = $1 AND seller_id > $2::uuid ORDER BY seller_id LIMIT $3`,
		period.UTC(), after, limit)
	if err != nil {
		return nil, fmt.Errorf("rank changes of %s: %w", period.Format(time.RFC3339), err)
	}
	out, err := pgx.CollectRows(rows, scanRankChange)
	if err != nil {
		return nil, fmt.Errorf("rank changes of %s: %w", period.Format(time.RFC3339), err)
	}
	return out, nil
}

// RankChangesOf returns the alerts of the period for the given sellers, by seller id; sellers
// not alerted for the period are absent.
func RankChangesOf(ctx context.Context, db interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, period time.Time, sellerIDs []string) (map[string]RankChange, error) {
	rows, err := db.Query(ctx, `SELECT period_end, seller_id::text, old_rank, new_rank, of_sellers
		FROM seller_rank_changes WHERE period_end = $1 AND seller_id = ANY($2::uuid[])`, period.UTC(), sellerIDs)
	if err != nil {
		return nil, fmt.Errorf("rank changes of %d sellers for %s: %w", len(sellerIDs), period.Format(time.RFC3339), err)
	}
	changes, err := pgx.CollectRows(rows, scanRankChange)
	if err != nil {
		return nil, fmt.Errorf("rank changes of %d sellers for %s: %w", len(sellerIDs), period.Format(time.RFC3339), err)
	}
	out := make(map[string]RankChange, len(changes))
	for _, c := range changes {
		out[c.SellerID] = c
	}
	return out, nil
}

func scanRankChange(row pgx.CollectableRow) (RankChange, error) {
	var c RankChange
	err := row.Scan(&c.PeriodEnd, &c.SellerID, &c.OldRank, &c.NewRank, &c.Of)
	c.PeriodEnd = c.PeriodEnd.UTC()
	return c, err
}
