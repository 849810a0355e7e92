package store

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"shopflow/errs"
)

// Zones racing for the same country: exactly one gets it, the others a conflict naming the
// winner, and no zone is left half made.
func TestZonesRaceForACountry(t *testing.T) {
	t.Parallel()
	st := newTestStore(t, 10)
	ctx := context.Background()
	const racers = 8
	var wg sync.WaitGroup
	errsOf := make([]error, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errsOf[i] = st.CreateShippingZone(ctx, NewShippingZone{Name: fmt.Sprintf("Zone %d", i), Countries: []string{"AT", "DE"}})
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errsOf {
		switch {
		case err == nil:
			won++
		case !errs.Is(err, errs.Conflict):
			t.Errorf("racer %d: %v, want a conflict", i, err)
		}
	}
	zones, err := st.ShippingZones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if won != 1 || len(zones) != 1 || fmt.Sprint(zones[0].Countries) != "[AT DE]" {
		t.Errorf("%d won, zones %+v; want one zone holding AT and DE", won, zones)
	}
}

func TestShippingMethodKindRules(t *testing.T) {
	t.Parallel()
	st := newTestStore(t, 4)
	ctx := context.Background()
	z, err := st.CreateShippingZone(ctx, NewShippingZone{Name: "EU", Countries: []string{"DE"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.CreateShippingMethod(ctx, z.ID, NewShippingMethod{Code: "parcel", Name: "Parcel", Kind: ShippingWeight,
		Currency: "EUR", PriceCents: 300, PerKgCents: 100, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	flat := ShippingFlat
	if _, err := st.UpdateShippingMethod(ctx, m.ID, ShippingMethodUpdate{Kind: &flat}); !errs.Is(err, errs.Unprocessable) {
		t.Errorf("weight to flat keeping per_kg_cents: %v, want a validation error", err)
	}
	zero := int64(0)
	got, err := st.UpdateShippingMethod(ctx, m.ID, ShippingMethodUpdate{Kind: &flat, PerKgCents: &zero})
	if err != nil || got.Kind != ShippingFlat || got.PerKgCents != 0 {
		t.Errorf("weight to flat: %+v %v", got, err)
	}
	if _, err := st.CreateShippingMethod(ctx, z.ID+1000, NewShippingMethod{Code: "x", Name: "X", Kind: ShippingFlat, Currency: "EUR"}); !errs.Is(err, errs.NotFound) {
		t.Errorf("method in an unknown zone: %v, want not found", err)
	}
}
