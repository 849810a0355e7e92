// Package benchshop is the shop the checkout drivers buy from: seeded products with live
// pricing, registered customers, and checkouts through the API awaited until placed.
package benchshop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"shopflow/bench/benchenv"
	"shopflow/store"
	"shopflow/workflows"
)

// Shop is what a checkout driver buys from and as: seeded products, logged-in customers, and
// the API they reach over HTTP.
type Shop struct {
	BaseURL   string
	HTTP      *http.Client
	Temporal  client.Client
	Products  []int64
	Customers []string // bearer tokens
	RunID     string
}

// SeedProducts inserts one seller, one category and n products, each with stock for far more
// orders than any run places, so no checkout is refused for stock.
func SeedProducts(ctx context.Context, pool *pgxpool.Pool, n int) ([]int64, error) {
	var ids []int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var sellerID string
		if err := tx.QueryRow(ctx, `WITH u AS (INSERT INTO users (email, password_hash, name, role)
			VALUES ('bench-seller@example.com', 'x', 'Bench Seller', 'seller') RETURNING id)
			INSERT INTO sellers (user_id, store_name) SELECT id, 'Bench Store' FROM u RETURNING id`).Scan(&sellerID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `WITH c AS (INSERT INTO categories (name, slug) VALUES ('Bench', 'bench') RETURNING id)
			INSERT INTO products (seller_id, category_id, name, price_cents, currency)
			SELECT $1, c.id, 'Bench product ' || g, 500 + g, 'USD' FROM c, generate_series(1, $2::int) g RETURNING id`, sellerID, n)
		if err != nil {
			return err
		}
		if ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, `INSERT INTO inventory (product_id, on_hand) SELECT unnest($1::bigint[]), 1000000000`, ids); err != nil {
			return err
		}
		return seedPricing(ctx, tx)
	})
	if err != nil {
		return nil, fmt.Errorf("seed products: %w", err)
	}
	return ids, nil
}

// seedPricing prices every order fully, as a live shop's are: shipping to the US, sales tax on
// goods and shipping, and an automatic promotion whose use each order claims.
func seedPricing(ctx context.Context, tx pgx.Tx) error {
	for _, sql := range []string{
		`WITH z AS (INSERT INTO shipping_zones (name) VALUES ('US') RETURNING id),
		 c AS (INSERT INTO shipping_zone_countries (country, zone_id) SELECT 'US', id FROM z)
		 INSERT INTO shipping_methods (zone_id, code, name, kind, currency, price_cents)
		 SELECT id, 'standard', 'Standard', 'flat', 'USD', 499 FROM z`,
		`INSERT INTO tax_rates (country, tax_class, rate_ppm) VALUES ('US', 'standard', 72500), ('US', 'shipping', 72500)`,
		`INSERT INTO promotions (name, kind, percent_bp) VALUES ('Bench week', 'percent', 500)`,
	} {
		if _, err := tx.Exec(ctx, sql); err != nil {
			return err
		}
	}
	return nil
}

// RegisterCustomers registers n customers through the API and logs each in.
func (s *Shop) RegisterCustomers(ctx context.Context, n int) error {
	password := "bench-password-" + benchenv.RandomHex(4)
	for i := range n {
		email := fmt.Sprintf("bench-%s-%d@example.com", s.RunID, i)
		var user struct{ ID string }
		if err := s.post(ctx, "/api/v1/auth/register", "", "", map[string]string{"email": email, "password": password, "name": "Bench Shopper"},
			http.StatusCreated, &user); err != nil {
			return err
		}
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := s.post(ctx, "/api/v1/auth/login", "", "", map[string]string{"email": email, "password": password}, http.StatusOK, &tok); err != nil {
			return err
		}
		s.Customers = append(s.Customers, tok.AccessToken)
	}
	return nil
}

// Checkout is one op of the checkout phase: POST /api/v1/checkout for one product, then wait
// for the order's saga to return and check that it placed the order.
func (s *Shop) Checkout(ctx context.Context, seq int64) error {
	body := map[string]any{
		"items":          []map[string]any{{"product_id": s.Products[rand.IntN(len(s.Products))], "quantity": 1}},
		"payment_method": "pm_card_visa",
		"shipping_address": store.ShippingAddress{Name: "Bench Shopper", Line1: "1 Load Street", City: "Springfield",
			PostalCode: "12345", Country: "US"},
	}
	var answer struct {
		Order struct{ ID string }
	}
	token := s.Customers[int(seq)%len(s.Customers)]
	key := fmt.Sprintf("bench-%s-%d", s.RunID, seq)
	if err := s.post(ctx, "/api/v1/checkout", token, key, body, http.StatusAccepted, &answer); err != nil {
		return err
	}
	res, err := s.awaitSaga(ctx, answer.Order.ID)
	if err != nil {
		return fmt.Errorf("await saga of order %s: %w", answer.Order.ID, err)
	}
	if res.Status != store.OrderPlaced {
		return fmt.Errorf("saga of order %s ended %s (%s)", answer.Order.ID, res.Status, res.CancelReason)
	}
	return nil
}

// awaitSaga waits for the order's saga to close and decodes its result, in one long poll for
// the close event as the baseline's run.Get makes. client.GetWorkflow without a run ID would
// first describe the workflow to learn it: a server request per checkout that the baseline
// never pays and that is the driver's, not Shopflow's.
func (s *Shop) awaitSaga(ctx context.Context, orderID string) (workflows.CheckoutResult, error) {
	var res workflows.CheckoutResult
	it := s.Temporal.GetWorkflowHistory(ctx, workflows.CheckoutWorkflowID(orderID), "", true, enums.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	if !it.HasNext() {
		return res, errors.New("no close event")
	}
	ev, err := it.Next()
	if err != nil {
		return res, err
	}
	done := ev.GetWorkflowExecutionCompletedEventAttributes()
	if done == nil {
		return res, fmt.Errorf("saga closed with %s", ev.GetEventType())
	}
	return res, converter.GetDefaultDataConverter().FromPayloads(done.GetResult(), &res)
}

// post sends body as JSON and decodes the answer into into, if it has the wanted status.
func (s *Shop) post(ctx context.Context, path, token, idempotencyKey string, body any, want int, into any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.BaseURL+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("POST %s: read answer: %w", path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s: HTTP %d: %.200s", path, resp.StatusCode, strings.TrimSpace(string(answer)))
	}
	if err := json.Unmarshal(answer, into); err != nil {
		return fmt.Errorf("POST %s: answer: %w", path, err)
	}
	return nil
}
