package postgres

import (
	"context"
	"testing"

	"shopflow/search/searchtest"
	"shopflow/store/storetest"
)

// relevanceProducts is big enough that totals cap at search.MaxTotal.
const relevanceProducts = 12000

func TestRelevance(t *testing.T) {
	t.Parallel()
	pool := storetest.NewPool(t)
	cat, err := searchtest.Generate(context.Background(), pool, searchtest.Spec{Products: relevanceProducts, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	searchtest.RunRelevance(t, &Searcher{Pool: pool}, cat)
}
