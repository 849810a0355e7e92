package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// stockMovementView is the API's StockMovement.
type stockMovementView struct {
	ID            int64     `json:"id"`
	ProductID     int64     `json:"product_id"`
	Kind          string    `json:"kind"`
	OnHandDelta   int       `json:"on_hand_delta"`
	ReservedDelta int       `json:"reserved_delta"`
	OnHandAfter   int       `json:"on_hand_after"`
	ReservedAfter int       `json:"reserved_after"`
	OrderID       *string   `json:"order_id"`
	ReturnID      *string   `json:"return_id"`
	ActorID       *string   `json:"actor_id"`
	Note          string    `json:"note"`
	CreatedAt     time.Time `json:"created_at"`
}

type stockMovementPage struct {
	Items      []stockMovementView `json:"items"`
	NextCursor *string             `json:"next_cursor"`
}

func movementsPath(id int64) string {
	return fmt.Sprintf("/api/v1/products/%d/inventory/movements", id)
}

// TestStockMovementsTellWhyStockIs: a seller's counts show up as restock and adjustment by that
// seller, newest first, filtered by kind and paged; stock is the sum of what is listed.
func TestStockMovementsTellWhyStockIs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, owner := e.newAdmin(), e.newSeller()
	cat := e.catCategory(admin, "Tools", nil)
	p := e.catProduct(owner.Token, map[string]any{"category_id": cat.ID, "on_hand": 5})
	for _, n := range []int{9, 7, 7, 12} { // the repeated count moves nothing
		e.mustDo(http.StatusOK, req{Method: "PUT", Path: inventoryPath(p.ID), Token: owner.Token, Body: map[string]any{"on_hand": n}})
	}
	e.catReserve(p.ID, 2) // a checkout in progress, with no cause: named by its deltas

	var all []stockMovementView
	path := movementsPath(p.ID) + "?limit=2"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("cursor never ends")
		}
		var page stockMovementPage
		e.mustDo(http.StatusOK, req{Method: "GET", Path: path, Token: owner.Token}).JSON(t, &page)
		all = append(all, page.Items...)
		path = ""
		if page.NextCursor != nil {
			path = movementsPath(p.ID) + "?limit=2&cursor=" + url.QueryEscape(*page.NextCursor)
		}
	}
	want := []struct {
		kind        string
		delta, resv int
		byOwner     bool
	}{
		{"reservation", 0, 2, false}, {"restock", 5, 0, true}, {"adjustment", -2, 0, true}, {"restock", 4, 0, true}, {"initial", 5, 0, true},
	}
	if len(all) != len(want) {
		t.Fatalf("movements %+v, want %d", all, len(want))
	}
	onHand, reserved := 0, 0
	for i, w := range want {
		m := all[i]
		onHand, reserved = onHand+m.OnHandDelta, reserved+m.ReservedDelta
		byOwner := m.ActorID != nil && *m.ActorID == owner.ID
		if m.Kind != w.kind || m.OnHandDelta != w.delta || m.ReservedDelta != w.resv || byOwner != w.byOwner || m.ProductID != p.ID {
			t.Errorf("movement %d = %+v, want %+v (actor %s)", i, m, w, owner.ID)
		}
	}
	if onHand != 12 || reserved != 2 || all[0].OnHandAfter != 12 || all[0].ReservedAfter != 2 {
		t.Errorf("sums %d/%d, latest after %d/%d; want 12 on hand, 2 reserved", onHand, reserved, all[0].OnHandAfter, all[0].ReservedAfter)
	}

	var restocks stockMovementPage
	e.mustDo(http.StatusOK, req{Method: "GET", Path: movementsPath(p.ID) + "?kind=restock", Token: admin.Token}).JSON(t, &restocks)
	if len(restocks.Items) != 2 || restocks.NextCursor != nil || restocks.Items[0].OnHandDelta != 5 {
		t.Errorf("restocks = %+v, want the two, newest first", restocks)
	}
}

// TestStockMovementsAccess: only the product's seller and admins read its ledger; bad
// parameters are a 400 naming the parameter.
func TestStockMovementsAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, owner, other, customer := e.newAdmin(), e.newSeller(), e.newSeller(), e.newCustomer()
	cat := e.catCategory(admin, "Tools", nil)
	active := e.catProduct(owner.Token, map[string]any{"category_id": cat.ID})
	draft := e.catProduct(owner.Token, map[string]any{"category_id": cat.ID, "status": "draft"})
	e.catReserve(active.ID, 1) // a second movement, so a page of one has a next
	var page stockMovementPage
	e.mustDo(http.StatusOK, req{Method: "GET", Path: movementsPath(active.ID) + "?limit=1", Token: owner.Token}).JSON(t, &page)
	var otherPage stockMovementPage
	e.mustDo(http.StatusOK, req{Method: "GET", Path: movementsPath(draft.ID) + "?limit=1", Token: owner.Token}).JSON(t, &otherPage)
	if page.NextCursor == nil || otherPage.NextCursor != nil {
		t.Fatalf("pages %+v and %+v: want a cursor on the first only", page, otherPage)
	}
	cursor := url.QueryEscape(*page.NextCursor)

	tests := []struct {
		name  string
		path  string
		token string
		want  caseWant
	}{
		{"anonymous", movementsPath(active.ID), "", caseWant{401, "unauthorized", "", ""}},
		{"customer", movementsPath(active.ID), customer.Token, caseWant{403, "forbidden", "", ""}},
		{"other seller", movementsPath(active.ID), other.Token, caseWant{403, "forbidden", "", ""}},
		{"other seller cannot see a draft", movementsPath(draft.ID), other.Token, caseWant{404, "not_found", "", ""}},
		{"owner", movementsPath(draft.ID), owner.Token, caseWant{200, "", "", ""}},
		{"admin", movementsPath(active.ID), admin.Token, caseWant{200, "", "", ""}},
		{"unknown product", movementsPath(active.ID + 1000), admin.Token, caseWant{404, "not_found", "", ""}},
		{"unknown kind", movementsPath(active.ID) + "?kind=theft", owner.Token, caseWant{400, "invalid", "", "kind"}},
		{"limit too large", movementsPath(active.ID) + "?limit=101", owner.Token, caseWant{400, "invalid", "", "limit"}},
		{"unknown parameter", movementsPath(active.ID) + "?sort=oldest", owner.Token, caseWant{400, "invalid", "", "sort"}},
		{"malformed cursor", movementsPath(active.ID) + "?cursor=%21%21", owner.Token, caseWant{400, "invalid", "", "cursor"}},
		{"cursor of another product", movementsPath(draft.ID) + "?cursor=" + cursor, owner.Token, caseWant{400, "invalid", "", "cursor"}},
		{"cursor of another kind", movementsPath(active.ID) + "?kind=initial&cursor=" + cursor, owner.Token, caseWant{400, "invalid", "", "cursor"}},
		{"cursor continues", movementsPath(active.ID) + "?cursor=" + cursor, owner.Token, caseWant{200, "", "", ""}},
	}
	for _, tc := range tests {
		tc.want.check(t, tc.name, e.do(req{Method: "GET", Path: tc.path, Token: tc.token}))
	}

	// A seller account without a store manages nothing: the no-store 403, as for its stock.
	var noStore string
	if err := e.Store.Pool.QueryRow(context.Background(), `INSERT INTO users (email, password_hash, role)
		VALUES ($1, 'x', 'seller') RETURNING id`, "no-store-"+randHex(4)+"@example.com").Scan(&noStore); err != nil {
		t.Fatal(err)
	}
	token, _, err := e.Tokens.Issue(noStore, "seller", "")
	if err != nil {
		t.Fatal(err)
	}
	ev := catErr(t, e.mustDo(http.StatusForbidden, req{Method: "GET", Path: movementsPath(active.ID), Token: token}))
	if ev.Error.Details["reason"] != "no_store" {
		t.Errorf("seller without a store: %+v, want the no-store 403", ev.Error)
	}
}
