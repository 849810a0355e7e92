package elasticsearch

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestSwapMovesTheAliasAtomically(t *testing.T) {
	e, srv := newTestEngine(t)
	ctx := context.Background()
	if live, err := e.Live(ctx); err != nil || len(live) != 0 {
		t.Fatalf("Live before any swap = %v, %v; want none", live, err)
	}
	first, _ := e.CreateIndex(ctx)
	removed, err := e.Swap(ctx, first)
	if err != nil || len(removed) != 0 {
		t.Fatalf("first Swap = %v, %v; want nothing removed", removed, err)
	}
	second, _ := e.CreateIndex(ctx)
	srv.ResetRequests()

	removed, err = e.Swap(ctx, second)
	if err != nil || !slices.Equal(removed, []string{first}) {
		t.Fatalf("Swap = %v, %v; want [%s] removed", removed, err, first)
	}
	req, ok := srv.LastRequest("POST", "/_aliases")
	if !ok {
		t.Fatal("no _aliases request")
	}
	want := `{"actions":[{"remove":{"alias":"test_products","index":"` + first + `"}},` +
		`{"add":{"alias":"test_products","index":"` + second + `"}}]}`
	if got := compact(req.JSON(t)); got != want {
		t.Errorf("_aliases body = %s, want %s", got, want)
	}
	if n := countPaths(srv, "/_aliases"); n != 1 {
		t.Errorf("%d _aliases requests, want one carrying both actions", n)
	}
	if live, err := e.Live(ctx); err != nil || !slices.Equal(live, []string{second}) {
		t.Errorf("Live = %v, %v; want [%s]", live, err, second)
	}
}

func TestSwapToAMissingIndexChangesNothing(t *testing.T) {
	e, srv := newTestEngine(t)
	ctx := context.Background()
	live := liveIndex(t, e)
	_, err := e.Swap(ctx, "test_products-404")
	if err == nil || !strings.Contains(err.Error(), "index_not_found_exception") {
		t.Errorf("Swap = %v, want index_not_found_exception", err)
	}
	if got := srv.AliasIndexes(e.Alias()); !slices.Equal(got, []string{live}) {
		t.Errorf("alias points at %v after a failed swap, want [%s]", got, live)
	}
}

func TestSwapToTheLiveIndexKeepsIt(t *testing.T) {
	e, _ := newTestEngine(t)
	live := liveIndex(t, e)
	removed, err := e.Swap(context.Background(), live)
	if err != nil || len(removed) != 0 {
		t.Errorf("Swap to the live index = %v, %v; want nothing removed", removed, err)
	}
}

func TestDrop(t *testing.T) {
	e, srv := newTestEngine(t)
	ctx := context.Background()
	name, _ := e.CreateIndex(ctx)
	if err := e.Drop(ctx, name); err != nil {
		t.Fatalf("Drop: %v", err)
	}
	if got := srv.Indexes(); len(got) != 0 {
		t.Errorf("indexes after Drop = %v", got)
	}
	if err := e.Drop(ctx, name); err != nil {
		t.Errorf("Drop of a missing index = %v, want nil", err)
	}
	liveIndex(t, e)
	// Elasticsearch refuses to delete through an alias; that is an error, not "already gone".
	if err := e.Drop(ctx, e.Alias()); err == nil || !strings.Contains(err.Error(), "illegal_argument_exception") {
		t.Errorf("Drop of the alias = %v, want illegal_argument_exception", err)
	}
}

func TestLiveReportsErrors(t *testing.T) {
	e, srv := newTestEngine(t)
	srv.FailNext(1, 403, "security_exception", "action [indices:admin/aliases/get] is unauthorized")
	if _, err := e.Live(context.Background()); err == nil || !strings.Contains(err.Error(), "security_exception") {
		t.Errorf("Live = %v, want the security_exception", err)
	}
}
