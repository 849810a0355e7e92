package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Review list sorts, by the name clients use.
const (
	ReviewSortNewest      = "newest"
	ReviewSortHighest     = "highest"
	ReviewSortLowest      = "lowest"
	ReviewSortMostHelpful = "most_helpful"
)

// ValidReviewSort reports whether sort names a review list order.
func ValidReviewSort(sort string) bool {
	_, ok := reviewSortKey[sort]
	return ok
}

// reviewSortKey is each sort's leading key and direction; ties go to the newest (published_at,
// then id, both descending), so every order is total and a cursor continues it exactly.
var reviewSortKey = map[string]struct {
	column string
	desc   bool
}{
	ReviewSortNewest:      {"", true},
	ReviewSortHighest:     {"r.rating", true},
	ReviewSortLowest:      {"r.rating", false},
	ReviewSortMostHelpful: {"r.helpful_count", true},
}

// ReviewFilter selects a page of a product's published reviews.
type ReviewFilter struct {
	ProductID int64
	// Rating, when not 0, keeps only reviews with that many stars.
	Rating int
	// Sort is one of the ReviewSort constants; it defaults to newest.
	Sort   string
	Limit  int
	Cursor string
}

// reviewCursor is the position after a page's last review: its sort key, publication time and
// id. Scope ties it to the list (product, filter and sort) it came from.
type reviewCursor struct {
	Scope       string    `json:"s"`
	Key         int       `json:"k,omitempty"`
	PublishedAt time.Time `json:"p"`
	ID          int64     `json:"id"`
}

func (f ReviewFilter) scope() string {
	return "product:" + strconv.FormatInt(f.ProductID, 10) + ":" + strconv.Itoa(f.Rating) + ":" + f.Sort
}

// ListProductReviews returns one page of a product's published reviews in f.Sort order. A
// cursor from another list, or a malformed one, is an invalid request.
func (s *Store) ListProductReviews(ctx context.Context, f ReviewFilter) (ReviewPage, error) {
	if f.Sort == "" {
		f.Sort = ReviewSortNewest
	}
	key, ok := reviewSortKey[f.Sort]
	if !ok {
		return ReviewPage{}, invalidParam("sort", "must be one of newest, highest, lowest, most_helpful")
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	args := []any{f.ProductID, f.Rating, f.Limit + 1}
	where := `r.product_id = $1 AND r.status = 'published' AND ($2 = 0 OR r.rating = $2)`
	if f.Cursor != "" {
		c, err := decodeReviewCursor(f.Cursor, f.scope())
		if err != nil {
			return ReviewPage{}, err
		}
		args = append(args, c.PublishedAt, c.ID)
		after := `(r.published_at, r.id) < ($4, $5)`
		if key.column != "" {
			args = append(args, c.Key)
			op := ">"
			if key.desc {
				op = "<"
			}
			after = fmt.Sprintf(`(%[1]s %[2]s $6 OR (%[1]s = $6 AND %[3]s))`, key.column, op, after)
		}
		where += " AND " + after
	}
	order := "r.published_at DESC, r.id DESC"
	if key.column != "" {
		dir := ""
		if key.desc {
			dir = " DESC"
		}
		order = key.column + dir + ", " + order
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+reviewColumns+reviewFrom+` WHERE `+where+` ORDER BY `+order+` LIMIT $3`, args...)
	if err != nil {
		return ReviewPage{}, fmt.Errorf("list reviews of product %d: %w", f.ProductID, classify(err, "review"))
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Review, error) { return scanReview(r) })
	if err != nil {
		return ReviewPage{}, fmt.Errorf("list reviews of product %d: %w", f.ProductID, classify(err, "review"))
	}
	return pageOfReviews(items, f.Limit, func(last Review) reviewCursor {
		c := reviewCursor{Scope: f.scope(), ID: last.ID}
		if last.PublishedAt != nil {
			c.PublishedAt = *last.PublishedAt
		}
		switch key.column {
		case "r.rating":
			c.Key = last.Rating
		case "r.helpful_count":
			c.Key = last.HelpfulCount
		}
		return c
	})
}

// pageOfReviews cuts a page of limit out of items (read with one more, which tells whether
// another page follows) and makes the cursor after its last review.
func pageOfReviews(items []Review, limit int, cursor func(last Review) reviewCursor) (ReviewPage, error) {
	page := ReviewPage{Items: items}
	if page.Items == nil {
		page.Items = []Review{}
	}
	if len(items) > limit {
		page.Items = items[:limit]
		b, err := json.Marshal(cursor(page.Items[limit-1]))
		if err != nil {
			return ReviewPage{}, fmt.Errorf("encode review cursor: %w", err)
		}
		next := base64.RawURLEncoding.EncodeToString(b)
		page.NextCursor = &next
	}
	return page, nil
}

func decodeReviewCursor(cursor, scope string) (reviewCursor, error) {
	bad := invalidParam("cursor", "is not a cursor this list gave out")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return reviewCursor{}, bad
	}
	var c reviewCursor
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.ID <= 0 {
		return reviewCursor{}, bad
	}
	if c.Scope != scope {
		return reviewCursor{}, invalidParam("cursor", "was made for another list, filter or sort; start again without a cursor")
	}
	return c, nil
}

// MyReview returns the customer's review of the product in any status, with the moderation
// reason; not found when it has none.
func (s *Store) MyReview(ctx context.Context, productID int64, customerID string) (Review, error) {
	r, err := scanReview(s.Pool.QueryRow(ctx, `SELECT `+reviewColumns+reviewFrom+` WHERE r.product_id = $1 AND r.customer_id = $2`,
		productID, customerID))
	if err != nil {
		return Review{}, fmt.Errorf("review of product %d by %s: %w", productID, customerID, classify(err, "review"))
	}
	return r, nil
}
