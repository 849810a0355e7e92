package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// MarketingPreferences are a customer's consent to hear of new promotions and the channels to
// hear of them on. Email goes to the account's email, so only the phone is kept here.
type MarketingPreferences struct {
	Promotions bool     `json:"promotions"`
	Channels   []string `json:"channels"`
	Phone      string   `json:"phone"`
	// Email is the account's email, where email announcements go; read-only.
	Email     string     `json:"email"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// DefaultMarketingPreferences apply to a customer that never chose: not opted in, and in-app
// the channel should it opt in (the table's defaults).
func DefaultMarketingPreferences() MarketingPreferences {
	return MarketingPreferences{Channels: []string{ChannelInApp}}
}

// MarketingPreferences returns the user's marketing preferences, or the defaults.
func (s *Store) MarketingPreferences(ctx context.Context, userID string) (MarketingPreferences, error) {
	p := DefaultMarketingPreferences()
	var channels []string
	var phone *string
	var promotions *bool
	err := s.Pool.QueryRow(ctx, `SELECT u.email, m.promotions, m.channels, m.phone, m.updated_at
		FROM users u LEFT JOIN marketing_preferences m ON m.user_id = u.id WHERE u.id = $1`, userID).
		Scan(&p.Email, &promotions, &channels, &phone, &p.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, errs.E(errs.NotFound, "no user %s", userID)
	}
	if err != nil {
		return p, fmt.Errorf("marketing preferences of %s: %w", userID, classify(err, "marketing preferences"))
	}
	if promotions != nil { // a row exists
		p.Promotions, p.Channels, p.Phone = *promotions, channels, *phone
	}
	return p, nil
}

// PutMarketingPreferences replaces the user's marketing preferences; the caller has validated
// them.
func (s *Store) PutMarketingPreferences(ctx context.Context, userID string, p MarketingPreferences) (MarketingPreferences, error) {
	if p.Channels == nil {
		p.Channels = []string{}
	}
	err := s.Pool.QueryRow(ctx, `
		WITH saved AS (
			INSERT INTO marketing_preferences (user_id, promotions, channels, phone) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id) DO UPDATE SET promotions = EXCLUDED.promotions, channels = EXCLUDED.channels,
			       phone = EXCLUDED.phone, updated_at = now()
			RETURNING user_id, promotions, channels, phone, updated_at)
		SELECT s.promotions, s.channels, s.phone, s.updated_at, u.email FROM saved s JOIN users u ON u.id = s.user_id`,
		userID, p.Promotions, p.Channels, p.Phone).
		Scan(&p.Promotions, &p.Channels, &p.Phone, &p.UpdatedAt, &p.Email)
	if err != nil {
		return p, fmt.Errorf("save marketing preferences of %s: %w", userID, classify(err, "marketing preferences"))
	}
	return p, nil
}

// PromotionRecipient is an opted-in customer and how to reach it.
type PromotionRecipient struct {
	UserID   string
	Email    string // the account's
	Channels []string
	Phone    string
}

// noUser sorts before every user id, so paging "after" it starts at the first.
const noUser = "00000000-0000-0000-0000-000000000000"

// PromotionRecipientsAfter returns up to limit customers who opted in to promotions, with user
// ids greater than after ("" starts at the first), in id order. Disabled accounts are left out.
// Consent is read as it is now: a customer who opted out since an earlier page is not listed.
func (s *Store) PromotionRecipientsAfter(ctx context.Context, after string, limit int) ([]PromotionRecipient, error) {
	from := after
	if from == "" {
		from = noUser
	}
	rows, err := s.Pool.Query(ctx, `SELECT m.user_id::text, u.email, m.channels, m.phone
		FROM marketing_preferences m JOIN users u ON u.id = m.user_id
		WHERE m.promotions AND m.user_id > $1::uuid AND u.role = 'customer' AND u.disabled_at IS NULL
		ORDER BY m.user_id LIMIT $2`, from, limit)
	if err != nil {
		return nil, fmt.Errorf("promotion recipients after %q: %w", after, err)
	}
	defer rows.Close()
	var out []PromotionRecipient
	for rows.Next() {
		var r PromotionRecipient
		if err := rows.Scan(&r.UserID, &r.Email, &r.Channels, &r.Phone); err != nil {
			return nil, fmt.Errorf("promotion recipients: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("promotion recipients after %q: %w", after, err)
	}
	return out, nil
}

// PromotionAnnouncement is what an announcement says of a promotion, and whether it may still
// be announced.
type PromotionAnnouncement struct {
	ID          int64
	Name        string
	Description string
	Code        string // empty: applied automatically
	Kind        string // percent, fixed, free_shipping
	PercentBP   int    // for percent: basis points, 1000 is 10%
	AmountCents int64  // for fixed, in Currency's minor units
	Currency    string
	AppliesTo   string // order, products, categories
	// MinSubtotalCents is the order's goods total it needs, in Currency; 0 has none.
	MinSubtotalCents int64
	StartsAt         time.Time
	EndsAt           *time.Time
	Active           bool
	Announce         bool
}

// PromotionForAnnouncement reads promotion id as an announcement needs it; a missing one is
// errs.NotFound.
func (s *Store) PromotionForAnnouncement(ctx context.Context, id int64) (PromotionAnnouncement, error) {
	p := PromotionAnnouncement{ID: id}
	var code, currency *string
	var percent *int
	var amount *int64
	err := s.Pool.QueryRow(ctx, `SELECT name, description, code, kind, percent_bp, amount_cents, currency,
		       applies_to, min_subtotal_cents, starts_at, ends_at, active, announce
		FROM promotions WHERE id = $1`, id).Scan(&p.Name, &p.Description, &code, &p.Kind, &percent, &amount, &currency,
		&p.AppliesTo, &p.MinSubtotalCents, &p.StartsAt, &p.EndsAt, &p.Active, &p.Announce)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, errs.E(errs.NotFound, "promotion %d not found", id)
	}
	if err != nil {
		return p, fmt.Errorf("promotion %d: %w", id, classify(err, "promotion"))
	}
	if code != nil {
		p.Code = *code
	}
	if currency != nil {
		p.Currency = *currency
	}
	if percent != nil {
		p.PercentBP = *percent
	}
	if amount != nil {
		p.AmountCents = *amount
	}
	return p, nil
}
