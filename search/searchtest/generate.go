// Package searchtest generates a realistic, deterministic catalog for search tests and
// benchmarks, and holds relevance checks every search backend must pass on it.
package searchtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Spec says how big a catalog to generate. Zero fields take the defaults.
type Spec struct {
	// Products is how many generated products to load (default 1,000), besides the anchors.
	Products int
	// Seed makes the catalog: the same seed always gives the same products.
	Seed int64
	// Sellers is how many sellers the products are spread over (default 25).
	Sellers int
	// Categories caps how many leaf categories get products (default, and at most, all 22).
	Categories int
}

// Catalog is what Generate loaded, for tests and benchmarks to ask about.
type Catalog struct {
	// Pool is the database the catalog is in; relevance checks count answers with it.
	Pool *pgxpool.Pool
	// Products counts loaded products in every status, anchors included.
	Products int
	// Categories are category ids by name ("Electronics", "Laptops").
	Categories map[string]int64
	// Sellers are the sellers' ids.
	Sellers []string
	// Words are the distinct lower-case words of product names.
	Words []string
	// Anchors are hand-written products whose rank the relevance checks know.
	Anchors Anchors
	// Base is the newest creation time; products were created up to a year before it.
	Base time.Time

	seed   int64
	leaves []leaf
}

// Anchors are three products that share the words "kestrel headphones": one named exactly
// that, one whose name holds them among others, and one that only mentions them in its
// description (three times, so term frequency alone would rank it first).
type Anchors struct {
	ExactName, NameContains, DescriptionOnly int64
}

// AnchorQuery is the text that finds the anchors.
const AnchorQuery = "kestrel headphones"

// Generate loads a catalog into an empty, migrated database: users and sellers, the category
// tree, products with inventory and search stats, then refreshes search_terms and vacuums.
// search_changes stays empty: an external index is built from the catalog by a full reindex.
func Generate(ctx context.Context, pool *pgxpool.Pool, spec Spec) (Catalog, error) {
	spec = spec.withDefaults()
	rng := rand.New(rand.NewPCG(uint64(spec.Seed), 0x5ea2c4))
	cat := Catalog{Pool: pool, Categories: map[string]int64{}, Base: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), seed: spec.Seed}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// The change triggers would queue a search change per row loaded (2 s of a 100,000
		// product load); a generated catalog is indexed whole, so they are off for the load.
		// Setting the role needs a superuser, as tests connect.
		if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
			return fmt.Errorf("turn change triggers off: %w", err)
		}
		var err error
		if cat.Sellers, err = loadSellers(ctx, tx, rng, spec); err != nil {
			return err
		}
		if cat.leaves, err = loadCategories(ctx, tx, spec, cat.Categories); err != nil {
			return err
		}
		products := makeProducts(rng, spec, &cat)
		if err := loadProducts(ctx, tx, products); err != nil {
			return err
		}
		cat.Products = len(products)
		last := products[len(products)-3:] // makeProducts puts the anchors last
		cat.Anchors = Anchors{ExactName: last[0].id, NameContains: last[1].id, DescriptionOnly: last[2].id}
		cat.Words = nameWords(products)
		return nil
	})
	if err != nil {
		return Catalog{}, fmt.Errorf("generate catalog: %w", err)
	}
	for _, stmt := range []string{`REFRESH MATERIALIZED VIEW search_terms`,
		// VACUUM sets the visibility map, so index-only scans work as on a settled database.
		`VACUUM (ANALYZE) users, sellers, categories, products, inventory, product_search_stats, search_terms`} {
		if _, err := pool.Exec(ctx, stmt); err != nil {
			return Catalog{}, fmt.Errorf("generate catalog: %s: %w", stmt, err)
		}
	}
	return cat, nil
}

func (s Spec) withDefaults() Spec {
	if s.Products <= 0 {
		s.Products = 1000
	}
	if s.Sellers <= 0 {
		s.Sellers = 25
	}
	return s
}

// loadSellers creates seller users and their stores; ids come from rng, so they are the same
// for the same seed.
func loadSellers(ctx context.Context, tx pgx.Tx, rng *rand.Rand, spec Spec) ([]string, error) {
	ids := make([]string, spec.Sellers)
	var users, sellers [][]any
	for i := range ids {
		userID, sellerID := randomUUID(rng), randomUUID(rng)
		ids[i] = sellerID
		name := fmt.Sprintf("%s %s %d", storeWords[0][i%len(storeWords[0])], storeWords[1][(i/len(storeWords[0]))%len(storeWords[1])], i+1)
		users = append(users, []any{userID, fmt.Sprintf("seller%d-%d@example.com", i+1, spec.Seed), "x", name, "seller"})
		sellers = append(sellers, []any{sellerID, userID, name})
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"users"}, []string{"id", "email", "password_hash", "name", "role"}, pgx.CopyFromRows(users)); err != nil {
		return nil, fmt.Errorf("load users: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"sellers"}, []string{"id", "user_id", "store_name"}, pgx.CopyFromRows(sellers)); err != nil {
		return nil, fmt.Errorf("load sellers: %w", err)
	}
	return ids, nil
}

// loadCategories inserts the tree, departments first, and returns the leaves products go in.
func loadCategories(ctx context.Context, tx pgx.Tx, spec Spec, ids map[string]int64) ([]leaf, error) {
	insert := func(name string, parent *int64) (int64, error) {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO categories (name, slug, parent_id) VALUES ($1, $2, $3) RETURNING id`,
			name, slug(name), parent).Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("insert category %s: %w", name, err)
		}
		ids[name] = id
		return id, nil
	}
	var leaves []leaf
	for _, d := range departments {
		root, err := insert(d.name, nil)
		if err != nil {
			return nil, err
		}
		for _, g := range d.groups {
			mid, err := insert(g.name, &root)
			if err != nil {
				return nil, err
			}
			if len(g.leaves) == 0 {
				leaves = append(leaves, g.leaf)
			}
			for _, l := range g.leaves {
				if _, err := insert(l.name, &mid); err != nil {
					return nil, err
				}
				leaves = append(leaves, l)
			}
		}
	}
	if spec.Categories > 0 && spec.Categories < len(leaves) {
		leaves = leaves[:spec.Categories]
	}
	return leaves, nil
}

func slug(name string) string {
	return strings.Trim(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(name)), "-")
}

// randomUUID draws a version 4 UUID from rng.
func randomUUID(rng *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// nameWords lists the distinct words of the products' names, as search splits them.
func nameWords(products []product) []string {
	seen := map[string]bool{}
	for _, p := range products {
		for _, w := range splitWords(p.name) {
			seen[w] = true
		}
	}
	words := make([]string, 0, len(seen))
	for w := range seen {
		words = append(words, w)
	}
	slices.Sort(words)
	return words
}

// splitWords lower-cases s and splits it into its runs of letters and digits.
func splitWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
}
