// Package demo fills an empty Shopflow database with a small, realistic catalog (sellers, a
// category tree, products with stock) so that `shopflow dev` shows something on first start.
// It writes plain SQL through pgx and depends on no other Shopflow package: the schema is its
// only contract.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"
)

// Seed inserts the demo catalog in one transaction when the products table is empty, and
// reports whether it did. Calling it again, or from several processes at once, is a no-op once
// one call has seeded.
//
// The demo sellers get bcrypt hashes of random passwords that are never shown or stored
// anywhere else: nobody can log in as them, so the demo data adds no known credentials.
func Seed(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (bool, error) {
	seeded := false
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Serialises concurrent seeders (two dev processes starting on one database), so the
		// emptiness check below and the inserts are one atomic decision.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('shopflow.demo.seed'))`); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		var hasProducts bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM products)`).Scan(&hasProducts); err != nil {
			return fmt.Errorf("check for products: %w", err)
		}
		if hasProducts {
			return nil
		}
		sellerIDs, err := insertSellers(ctx, tx)
		if err != nil {
			return err
		}
		categoryIDs, err := insertCategories(ctx, tx)
		if err != nil {
			return err
		}
		if err := insertProducts(ctx, tx, sellerIDs, categoryIDs); err != nil {
			return err
		}
		if err := insertPricing(ctx, tx); err != nil {
			return err
		}
		if err := insertReviews(ctx, tx); err != nil {
			return err
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seed demo data: %w", err)
	}
	if seeded {
		log.Info("demo data seeded", "sellers", len(sellers), "categories", len(categories), "products", len(products), "reviews", len(reviews))
	} else {
		log.Debug("demo data not seeded: the catalog already has products")
	}
	return seeded, nil
}

// seller is one demo store and the account that owns it.
type seller struct {
	Email     string
	Name      string
	StoreName string
}

// category is one node of the demo category tree; Parent is the parent's slug or "".
type category struct {
	Slug   string
	Name   string
	Parent string
}

// product is one demo listing with its stock. Seller indexes sellers; Category is a slug.
type product struct {
	Seller       int
	Category     string
	Name         string
	Description  string
	PriceCents   int64
	Attributes   map[string]any
	OnHand       int
	LowStockWarn int
}

// The tables below are read-only data, never written after initialisation.

// sellers are the demo stores. The addresses are under .local, which is never delivered.
var sellers = []seller{
	{Email: "seller1@demo.shopflow.local", Name: "Ada Okafor", StoreName: "Northwind Electronics"},
	{Email: "seller2@demo.shopflow.local", Name: "Bruno Alves", StoreName: "Hearth & Home Goods"},
	{Email: "seller3@demo.shopflow.local", Name: "Chen Wei", StoreName: "Paper Lantern Books"},
}

// categories is the demo tree, parents before children.
var categories = []category{
	{Slug: "electronics", Name: "Electronics"},
	{Slug: "phones", Name: "Phones", Parent: "electronics"},
	{Slug: "laptops", Name: "Laptops", Parent: "electronics"},
	{Slug: "audio", Name: "Audio", Parent: "electronics"},
	{Slug: "home", Name: "Home"},
	{Slug: "kitchen", Name: "Kitchen", Parent: "home"},
	{Slug: "books", Name: "Books"},
}

// products are the demo listings, priced in USD cents. A few are low on stock and one is sold
// out, so stock filters and low-stock reports have something to show.
var products = []product{
	{0, "phones", "Pixel Horizon 8 128 GB", "Unlocked 6.2-inch smartphone with a 50 MP camera and all-day battery.", 69900,
		map[string]any{"brand": "Pixel Horizon", "storage_gb": 128, "color": "Obsidian"}, 40, 5},
	{0, "phones", "Aurora X2 256 GB", "Flagship phone with a 120 Hz OLED display and 5G.", 89900,
		map[string]any{"brand": "Aurora", "storage_gb": 256, "color": "Glacier"}, 3, 5},
	{0, "phones", "Budget Lite 4 64 GB", "Dependable everyday phone with a headphone jack.", 17900,
		map[string]any{"brand": "Lite", "storage_gb": 64, "color": "Blue"}, 120, 10},
	{0, "laptops", "Stratus 14 Ultrabook", "14-inch laptop, 16 GB RAM, 512 GB SSD, 1.2 kg.", 119900,
		map[string]any{"brand": "Stratus", "ram_gb": 16, "ssd_gb": 512, "screen_in": 14}, 12, 3},
	{0, "laptops", "Forge 16 Pro Workstation", "16-inch creator laptop with 32 GB RAM and a dedicated GPU.", 229900,
		map[string]any{"brand": "Forge", "ram_gb": 32, "ssd_gb": 1024, "screen_in": 16}, 2, 3},
	{0, "laptops", "Chromebook Go 11", "Light 11-inch Chromebook for school and travel.", 24900,
		map[string]any{"brand": "Go", "ram_gb": 4, "ssd_gb": 64, "screen_in": 11.6}, 30, 5},
	{0, "audio", "Quiet Comfort Over-Ear Headphones", "Wireless noise-cancelling headphones, 30-hour battery.", 27900,
		map[string]any{"brand": "QuietWave", "wireless": true, "battery_hours": 30}, 25, 5},
	{0, "audio", "Pocket Buds 2", "True wireless earbuds with charging case.", 7900,
		map[string]any{"brand": "Pocket", "wireless": true, "battery_hours": 6}, 0, 10},
	{1, "audio", "Bookshelf Speaker Pair", "Passive two-way bookshelf speakers, walnut finish.", 34900,
		map[string]any{"brand": "Timber", "finish": "walnut", "watts": 60}, 8, 2},
	{1, "kitchen", "Cast Iron Skillet 10-inch", "Pre-seasoned cast iron skillet, oven safe.", 3495,
		map[string]any{"material": "cast iron", "diameter_in": 10}, 60, 10},
	{1, "kitchen", "Pour-Over Coffee Set", "Glass carafe, ceramic dripper and 100 paper filters.", 4200,
		map[string]any{"material": "glass", "capacity_ml": 800}, 4, 5},
	{1, "kitchen", "Chef's Knife 8-inch", "High-carbon stainless steel chef's knife with a full tang.", 8900,
		map[string]any{"material": "stainless steel", "blade_in": 8}, 35, 5},
	{1, "kitchen", "Stand Mixer 5 Qt", "Tilt-head stand mixer with 10 speeds and three attachments.", 32999,
		map[string]any{"capacity_qt": 5, "speeds": 10, "color": "Pistachio"}, 6, 2},
	{1, "home", "Linen Throw Blanket", "Stonewashed linen throw, 130 x 170 cm.", 7800,
		map[string]any{"material": "linen", "color": "Oat"}, 22, 4},
	{1, "home", "Ceramic Table Lamp", "Hand-glazed ceramic lamp with a linen shade.", 11900,
		map[string]any{"material": "ceramic", "bulb": "E26"}, 9, 3},
	{2, "books", "The Pragmatic Shopkeeper", "A field guide to running a small online store.", 2999,
		map[string]any{"format": "paperback", "pages": 312, "isbn": "978-0-00-000001-1"}, 50, 5},
	{2, "books", "Distributed Systems for Busy People", "Consensus, queues and retries explained with diagrams.", 4599,
		map[string]any{"format": "hardcover", "pages": 428, "isbn": "978-0-00-000002-8"}, 18, 5},
	{2, "books", "The Lighthouse Keeper's Daughter", "A novel of storms, secrets and a small island town.", 1699,
		map[string]any{"format": "paperback", "pages": 384, "isbn": "978-0-00-000003-5"}, 2, 5},
	{2, "books", "Cooking With Cast Iron", "120 recipes from skillet cornbread to Dutch-oven stews.", 2450,
		map[string]any{"format": "hardcover", "pages": 256, "isbn": "978-0-00-000004-2"}, 27, 5},
	{2, "books", "Go in Practice, Second Edition", "Idiomatic Go for services: concurrency, testing and tooling.", 4999,
		map[string]any{"format": "paperback", "pages": 464, "isbn": "978-0-00-000005-9"}, 14, 3},
}

// insertSellers creates the demo seller accounts and stores and returns their seller ids in the
// order of sellers. An account left from an earlier seed (its products since deleted) is reused.
func insertSellers(ctx context.Context, tx pgx.Tx) ([]string, error) {
	ids := make([]string, 0, len(sellers))
	for _, s := range sellers {
		hash, err := unusablePasswordHash()
		if err != nil {
			return nil, err
		}
		var userID, role string
		// The no-op update makes RETURNING yield the existing row on conflict.
		err = tx.QueryRow(ctx, `
			INSERT INTO users (email, password_hash, name, role) VALUES ($1, $2, $3, 'seller')
			ON CONFLICT ((lower(email))) DO UPDATE SET email = users.email
			RETURNING id, role`, s.Email, hash, s.Name).Scan(&userID, &role)
		if err != nil {
			return nil, fmt.Errorf("insert seller user %s: %w", s.Email, err)
		}
		if role != "seller" {
			return nil, fmt.Errorf("demo seller %s already exists with role %s", s.Email, role)
		}
		var sellerID string
		err = tx.QueryRow(ctx, `
			INSERT INTO sellers (user_id, store_name) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET user_id = sellers.user_id
			RETURNING id`, userID, s.StoreName).Scan(&sellerID)
		if err != nil {
			return nil, fmt.Errorf("insert store %q: %w", s.StoreName, err)
		}
		ids = append(ids, sellerID)
	}
	return ids, nil
}

// insertCategories creates the demo tree and returns category ids by slug. A category with a
// demo slug that already exists is reused as it is.
func insertCategories(ctx context.Context, tx pgx.Tx) (map[string]int64, error) {
	ids := make(map[string]int64, len(categories))
	for _, c := range categories {
		var parent *int64
		if c.Parent != "" {
			id, ok := ids[c.Parent]
			if !ok {
				return nil, fmt.Errorf("category %s: parent %s is not defined before it", c.Slug, c.Parent)
			}
			parent = &id
		}
		var id int64
		err := tx.QueryRow(ctx, `
			INSERT INTO categories (parent_id, name, slug) VALUES ($1, $2, $3)
			ON CONFLICT (slug) DO UPDATE SET slug = categories.slug
			RETURNING id`, parent, c.Name, c.Slug).Scan(&id)
		if err != nil {
			return nil, fmt.Errorf("insert category %s: %w", c.Slug, err)
		}
		ids[c.Slug] = id
	}
	return ids, nil
}

// insertProducts creates every demo product with its inventory row, in one round trip.
func insertProducts(ctx context.Context, tx pgx.Tx, sellerIDs []string, categoryIDs map[string]int64) error {
	var batch pgx.Batch
	for _, p := range products {
		if p.Seller < 0 || p.Seller >= len(sellerIDs) {
			return fmt.Errorf("product %q: no demo seller %d", p.Name, p.Seller)
		}
		categoryID, ok := categoryIDs[p.Category]
		if !ok {
			return fmt.Errorf("product %q: no demo category %s", p.Name, p.Category)
		}
		batch.Queue(`
			WITH p AS (
				INSERT INTO products (seller_id, category_id, name, description, price_cents, currency, attributes)
				VALUES ($1, $2, $3, $4, $5, 'USD', $6)
				RETURNING id
			)
			INSERT INTO inventory (product_id, on_hand, low_stock_threshold) SELECT id, $7, $8 FROM p`,
			sellerIDs[p.Seller], categoryID, p.Name, p.Description, p.PriceCents, p.Attributes, p.OnHand, p.LowStockWarn)
	}
	results := tx.SendBatch(ctx, &batch)
	for _, p := range products {
		if _, err := results.Exec(); err != nil {
			_ = results.Close()
			return fmt.Errorf("insert product %q: %w", p.Name, err)
		}
	}
	return results.Close()
}

// unusablePasswordHash is the bcrypt hash of 32 random bytes that are then forgotten.
func unusablePasswordHash() (string, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("random password: %w", err)
	}
	// Hex keeps the secret within bcrypt's 72-byte limit (64 bytes) without truncation. The
	// lowest cost is enough: 256 random bits cannot be guessed however cheap each guess is, and
	// a higher cost would only slow every first start.
	hash, err := bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(secret)), bcrypt.MinCost)
	if err != nil {
		return "", fmt.Errorf("hash random password: %w", err)
	}
	return string(hash), nil
}
