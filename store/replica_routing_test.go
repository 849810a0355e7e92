package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"shopflow/search"
	pgsearch "shopflow/search/postgres"
)

// TestReplicaRouting runs against a real primary and streaming replica (pgtest): the subtests
// share the pair and run in order, each leaving the replica replaying and in use.
func TestReplicaRouting(t *testing.T) {
	f := newReplicaFixture(t)
	f.caughtUp()
	t.Run("catalog reads come from the replica while it is within the bound", f.testStaleReadsComeFromReplica)
	t.Run("an order is read from the primary right after checkout", f.testOrderAfterCheckoutReadsPrimary)
	t.Run("a replica that is down leaves reads to the primary", f.testReplicaDown)
}

// testStaleReadsComeFromReplica proves the replica serves catalog, search and analytics reads:
// with its replay paused, a change on the primary stays invisible to them while the lag is
// within the bound, and shows once the bound is exceeded and reads fall back to the primary.
func (f *replicaFixture) testStaleReadsComeFromReplica(t *testing.T) {
	ctx := context.Background()
	p := f.catalog.product(t, 5)
	f.eventually("new product visible through the replica", func() error {
		_, err := f.st.ProductByID(ctx, p.ID)
		return err
	})
	if !f.readsReplica() {
		t.Fatal("reads do not go to the replica")
	}

	f.pauseReplay()
	renamed := "Lantern " + randomHex(4)
	if _, err := f.st.UpdateProduct(ctx, p.ID, ProductUpdate{Name: &renamed}); err != nil {
		t.Fatal(err)
	}
	f.lagging()
	searcher := &pgsearch.Searcher{Pool: f.st.Pool, Reader: f.st.Reader}
	if name, err := productName(ctx, f.st, p.ID); err != nil || name != "Widget" {
		t.Fatalf("within the bound the replica answers the old name: got %q, %v", name, err)
	}
	if page, err := f.st.ListProducts(ctx, ProductFilter{Query: renamed}); err != nil || len(page.Items) != 0 {
		t.Fatalf("product list on the paused replica found %d, %v", len(page.Items), err)
	}
	if res, err := searcher.Search(ctx, search.Query{Text: renamed, Limit: 5}); err != nil || res.Total != 0 {
		t.Fatalf("search on the paused replica found %d, %v", res.Total, err)
	}
	if _, err := f.st.SalesAnalytics(ctx, AnalyticsQuery{From: time.Now().Add(-time.Hour), To: time.Now(), Granularity: GranularityHour}); err != nil {
		t.Fatalf("analytics on the replica: %v", err)
	}
	if name, err := productName(ReadPrimary(ctx), f.st, p.ID); err != nil || name != renamed {
		t.Fatalf("ReadPrimary: got %q, %v; want %q", name, err, renamed)
	}

	f.replicas.setMaxLag(time.Millisecond)
	f.eventually("reads fall back to the primary beyond the bound", func() error {
		if name, err := productName(ctx, f.st, p.ID); err != nil || name != renamed {
			return fmt.Errorf("got %q, %v", name, err)
		}
		return nil
	})
	if f.readsReplica() {
		t.Error("a replica beyond the bound is still read")
	}
	if res, err := searcher.Search(ctx, search.Query{Text: renamed, Limit: 5}); err != nil || res.Total != 1 {
		t.Errorf("search beyond the bound found %d, %v; want the primary's 1", res.Total, err)
	}

	f.replicas.setMaxLag(time.Minute)
	f.resumeReplay()
	f.caughtUp()
	if name, err := productName(ctx, f.st, p.ID); err != nil || name != renamed || !f.readsReplica() {
		t.Fatalf("after catching up the replica answers %q, %v (replica read: %v)", name, err, f.readsReplica())
	}
}

// testOrderAfterCheckoutReadsPrimary: with replay paused the order history (a replica read)
// does not have the new order yet, but the order itself, which a shopper polls right after
// checkout, is read from the primary.
func (f *replicaFixture) testOrderAfterCheckoutReadsPrimary(t *testing.T) {
	ctx := context.Background()
	p := f.catalog.product(t, 5)
	f.caughtUp()
	f.pauseReplay()
	defer f.resumeReplay()
	o, _, err := f.st.CreateOrder(ctx, NewOrder{CustomerID: f.customer, IdempotencyKey: "replica-" + randomHex(4),
		Items: []OrderItem{{ProductID: p.ID, Quantity: 1}}, PaymentMethod: "pm_card_visa",
		ShippingAddress: ShippingAddress{Name: "Casey Doe", Line1: "1 Main St", City: "Berlin", PostalCode: "10115", Country: "DE"}})
	if err != nil {
		t.Fatal(err)
	}
	f.lagging()
	got, err := f.st.OrderByID(ctx, o.ID)
	if err != nil || got.Status != OrderPending {
		t.Fatalf("order right after checkout: %+v, %v", got, err)
	}
	page, err := f.st.ListOrders(ctx, OrderFilter{CustomerID: f.customer})
	if err != nil {
		t.Fatal(err)
	}
	for _, listed := range page.Items {
		if listed.ID == o.ID {
			t.Fatal("the order list came from the primary, not the paused replica")
		}
	}
	f.resumeReplay()
	f.eventually("the order list on the replica catches up", func() error {
		page, err := f.st.ListOrders(ctx, OrderFilter{CustomerID: f.customer})
		if err != nil || len(page.Items) == 0 || page.Items[0].ID != o.ID {
			return errors.Join(err, fmt.Errorf("%d orders", len(page.Items)))
		}
		return nil
	})
}

// testReplicaDown stops the replica: reads go to the primary (and see its latest writes) until
// the replica is back and has caught up.
func (f *replicaFixture) testReplicaDown(t *testing.T) {
	ctx := context.Background()
	f.cluster.Replica.Stop()
	f.eventually("checker notices the replica is down", func() error {
		if s := f.replicas.Status()[0]; s.Healthy || s.Problem == "" {
			return fmt.Errorf("status %+v", s)
		}
		return nil
	})
	if f.readsReplica() {
		t.Fatal("reads still go to a replica that is down")
	}
	p := f.catalog.product(t, 5)
	if _, err := f.st.ProductByID(ctx, p.ID); err != nil {
		t.Fatalf("read with the replica down: %v", err)
	}
	f.cluster.Replica.Start()
	f.caughtUp()
	if _, err := f.st.ProductByID(ctx, p.ID); err != nil || !f.readsReplica() {
		t.Fatalf("after the replica is back: %v (replica read: %v)", err, f.readsReplica())
	}
}
