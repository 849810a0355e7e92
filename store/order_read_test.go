package store_test

import (
	"context"
	"slices"
	"testing"

	"shopflow/errs"
	"shopflow/store"
)

func TestListOrdersScopesAndPages(t *testing.T) {
	t.Parallel()
	f := newOrderFixture(t, 4)
	ctx := context.Background()
	lamp := f.product(f.sellerA, "active", "USD", 100, 50)
	rug := f.product(f.sellerB, "active", "USD", 200, 50)
	var mine []string // newest first
	for i := range 5 {
		items := []store.OrderItem{{ProductID: lamp, Quantity: 1}}
		if i%2 == 0 {
			items = append(items, store.OrderItem{ProductID: rug, Quantity: 1})
		}
		o, _, err := f.st.CreateOrder(ctx, f.newOrder(items...))
		if err != nil {
			t.Fatal(err)
		}
		mine = append([]string{o.ID}, mine...)
	}
	theirs := f.newOrder(store.OrderItem{ProductID: rug, Quantity: 1})
	theirs.CustomerID = f.another
	other, _, err := f.st.CreateOrder(ctx, theirs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ReleaseOrder(ctx, mine[0], store.ReasonCanceledByUser); err != nil {
		t.Fatal(err)
	}

	all := func(filter store.OrderFilter) []string {
		t.Helper()
		var ids []string
		for page := 0; ; page++ {
			p, err := f.st.ListOrders(ctx, filter)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range p.Items {
				ids = append(ids, o.ID)
			}
			if p.NextCursor == nil || page > 10 {
				return ids
			}
			filter.Cursor = *p.NextCursor
		}
	}
	cases := []struct {
		name   string
		filter store.OrderFilter
		want   []string
	}{
		{"a customer's orders, newest first, over pages", store.OrderFilter{CustomerID: f.customer, Limit: 2}, mine},
		{"a seller's orders: those with its lines", store.OrderFilter{SellerID: f.sellerB, Limit: 2}, []string{other.ID, mine[0], mine[2], mine[4]}},
		{"by status", store.OrderFilter{Status: store.OrderCanceled}, []string{mine[0]}},
		{"everything", store.OrderFilter{Limit: 100}, append([]string{other.ID}, mine...)},
	}
	for _, tc := range cases {
		if got := all(tc.filter); !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, got, tc.want)
		}
	}

	first, err := f.st.ListOrders(ctx, store.OrderFilter{CustomerID: f.customer, Limit: 1})
	if err != nil || first.NextCursor == nil {
		t.Fatalf("first page: %+v %v", first, err)
	}
	for _, tc := range []struct {
		name   string
		filter store.OrderFilter
	}{
		{"garbage cursor", store.OrderFilter{Cursor: "!!!"}},
		{"cursor from another list", store.OrderFilter{CustomerID: f.another, Cursor: *first.NextCursor}},
	} {
		if _, err := f.st.ListOrders(ctx, tc.filter); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v, want invalid", tc.name, err)
		}
	}
}
