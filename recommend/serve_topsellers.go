package recommend

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"shopflow/ranking"
)

// RankingTopSellers reads top sellers through the cache the top-sellers endpoint serves from,
// so recommendations add no Redis or Postgres reads of their own for them.
type RankingTopSellers struct {
	Ranks *ranking.Cache
}

// TopSellers returns the category's published top sellers (up to ranking.MaxServedProducts).
func (r RankingTopSellers) TopSellers(ctx context.Context, categoryID int64) ([]ranking.Product, error) {
	doc, _, err := r.Ranks.Category(ctx, categoryID)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := doc.Variant(ranking.MaxServedProducts).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("top sellers of category %d: %w", categoryID, err)
	}
	var d struct {
		Products []ranking.Product `json:"products"`
	}
	if err := json.Unmarshal(b.Bytes(), &d); err != nil {
		return nil, fmt.Errorf("decode top sellers of category %d: %w", categoryID, err)
	}
	return d.Products, nil
}
