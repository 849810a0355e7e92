package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"shopflow/errs"
)

// Lowering the usage limit below the uses is refused however the uses got there, and the
// promotion is left as it was.
func TestPromotionUsageLimitNotBelowUses(t *testing.T) {
	t.Parallel()
	st := newTestStore(t, 4)
	ctx := context.Background()
	bp, limit := 1000, 10
	p, err := st.CreatePromotion(ctx, PromotionSpec{Name: "Ten", Kind: PromotionPercent, PercentBP: &bp, AppliesTo: AppliesToOrder,
		StartsAt: time.Now(), UsageLimit: &limit, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE promotions SET uses = 4 WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err = st.UpdatePromotion(ctx, p.ID, func(s *PromotionSpec) error {
		three := 3
		s.UsageLimit, s.Name = &three, "Changed"
		return nil
	})
	if !errs.Is(err, errs.Conflict) {
		t.Errorf("limit 3 under 4 uses: %v, want a conflict", err)
	}
	got, err := st.PromotionByID(ctx, p.ID)
	if err != nil || got.Name != "Ten" || *got.UsageLimit != 10 || *got.Remaining != 6 {
		t.Errorf("after the refused change: %+v %v", got, err)
	}
}

func TestPromotionSpecValidate(t *testing.T) {
	bp, amount, cur := 500, int64(100), "EUR"
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name  string
		spec  PromotionSpec
		field string
	}{
		{"percent ok", PromotionSpec{Kind: PromotionPercent, PercentBP: &bp, AppliesTo: AppliesToOrder}, ""},
		{"fixed ok", PromotionSpec{Kind: PromotionFixed, AmountCents: &amount, Currency: &cur, AppliesTo: AppliesToOrder}, ""},
		{"percent missing", PromotionSpec{Kind: PromotionPercent, AppliesTo: AppliesToOrder}, "percent"},
		{"fixed without currency", PromotionSpec{Kind: PromotionFixed, AmountCents: &amount, AppliesTo: AppliesToOrder}, "currency"},
		{"free shipping with minimum, no currency", PromotionSpec{Kind: PromotionFreeShipping, MinSubtotalCents: 1, AppliesTo: AppliesToOrder}, "currency"},
		{"categories empty", PromotionSpec{Kind: PromotionFreeShipping, AppliesTo: AppliesToCategories}, "category_ids"},
		{"ends at start", PromotionSpec{Kind: PromotionFreeShipping, AppliesTo: AppliesToOrder, StartsAt: start, EndsAt: &start}, "ends_at"},
	} {
		err := c.spec.Validate()
		var e *errs.Error
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.field != "" && (!errs.Is(err, errs.Unprocessable) || !errors.As(err, &e) || e.Details["fields"].(map[string]string)[c.field] == ""):
			t.Errorf("%s: %v, want a field error on %s", c.name, err, c.field)
		}
	}
}
