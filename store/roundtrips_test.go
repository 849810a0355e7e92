package store_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"shopflow/store"
)

// roundTrips counts what a pool sends and then waits for: a query (begin and commit
// included) or a whole batch.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// count is how many round trips fn made.
func (r *roundTrips) count(fn func()) int64 {
	before := r.n.Load()
	fn()
	return r.n.Load() - before
}

// The checkout is the API's busiest write and every order runs the saga's steps: each round
// trip is CPU on the API or worker and on Postgres. The steps' round trips are counted so one
// added unnoticed fails here, not months later in the checkout benchmark. Counts include
// begin and commit; statements prepared on first use are not counted (they are cached).
func TestCheckoutStepRoundTrips(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	cfg := f.st.Pool.Config()
	trips := &roundTrips{}
	cfg.ConnConfig.Tracer = trips
	cfg.MaxConns = 1 // one connection, so the second order runs on warm prepared statements
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool)
	f.exec(`INSERT INTO shipping_zones (name) VALUES ('EU')`)
	f.exec(`INSERT INTO shipping_zone_countries (zone_id, country) SELECT id, 'DE' FROM shipping_zones`)
	f.exec(`INSERT INTO shipping_methods (zone_id, code, name, kind, price_cents, currency)
		SELECT id, 'standard', 'Standard', 'flat', 499, 'EUR' FROM shipping_zones`)
	f.exec(`INSERT INTO tax_rates (country, region, tax_class, rate_ppm) VALUES ('DE', '', 'standard', 190000)`)
	product := f.product(f.sellerA, store.ProductActive, "EUR", 1999, 10)

	want := map[string]int64{"create": 5, "reserve": 4, "record payment": 3, "confirm": 5}
	for round := 1; round <= 2; round++ {
		got := map[string]int64{}
		var o store.Order
		got["create"] = trips.count(func() {
			if o, _, err = st.CreateOrder(ctx, f.newOrder(store.OrderItem{ProductID: product, Quantity: 1})); err != nil {
				t.Fatal(err)
			}
		})
		if len(o.Shipments) != 1 || o.TaxCents == 0 || len(o.Timeline) != 1 {
			t.Fatalf("order read back without its shipment, tax or first event: %+v", o)
		}
		got["reserve"] = trips.count(func() {
			if res, err := st.ReserveOrder(ctx, o.ID, time.Now().Add(time.Hour)); err != nil || !res.Reserved {
				t.Fatalf("reserve: %+v %v", res, err)
			}
		})
		got["record payment"] = trips.count(func() {
			err := st.RecordPayment(ctx, o.ID, store.PaymentRecord{Provider: "sandbox", IntentID: "pi_" + o.ID,
				Status: "succeeded", AmountCents: o.TotalCents, Currency: "EUR"})
			if err != nil {
				t.Fatal(err)
			}
		})
		got["confirm"] = trips.count(func() {
			if res, err := st.ConfirmOrder(ctx, o.ID); err != nil || !res.Placed {
				t.Fatalf("confirm: %+v %v", res, err)
			}
		})
		if round == 2 {
			for step, n := range want {
				if got[step] != n {
					t.Errorf("%s: %d round trips, want %d", step, got[step], n)
				}
			}
		}
	}
}
