// Package recommend computes "customers who bought this also bought" lists from orders and
// ingested sales, publishes them to Redis, and serves them (with personal recommendations
// built from them) through an in-process cache.
package recommend

import (
	"strconv"
	"time"
)

// Redis layout, under the deployment's prefix P:
//
//	P recs:also:<product id>   the product's AlsoBought document (JSON); absent when the
//	                           product has too little data, or none left in the window
//	P recs:meta                the last run's Meta (JSON)
//
// Each product's list is one key, written only when the run changed it, so a run's Redis
// writes grow with new sales, not with the catalog. Readers fetch several lists with one
// pipeline (not MGET), which Redis Cluster serves across slots.

// AlsoBought is one product's "customers who bought this also bought" list, best first.
type AlsoBought struct {
	ProductID   int64     `json:"product_id"`
	GeneratedAt time.Time `json:"generated_at"`
	WindowDays  int       `json:"window_days"`
	Items       []Item    `json:"items"`
}

// Item is one recommended product: its score (the normalised co-occurrence, higher is
// better) and support (how many orders in the window hold both products).
type Item struct {
	ProductID int64   `json:"product_id"`
	Score     float64 `json:"score"`
	Support   int64   `json:"support"`
}

// Meta describes the last computation.
type Meta struct {
	GeneratedAt time.Time `json:"generated_at"`
	WindowDays  int       `json:"window_days"`
	Products    int       `json:"products"` // products with a published list
}

// AlsoBoughtKey is the Redis key of a product's list under prefix.
func AlsoBoughtKey(prefix string, productID int64) string {
	return prefix + "recs:also:" + itoa(productID)
}

// MetaKey is the Redis key of the last run's Meta under prefix.
func MetaKey(prefix string) string { return prefix + "recs:meta" }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
