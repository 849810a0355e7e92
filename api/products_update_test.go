package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestUpdateProduct(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smallBodies)
	admin, seller := e.newAdmin(), e.newSeller()
	cat := e.catCategory(admin, "Kitchen", nil)
	other := e.catCategory(admin, "Garden", nil)
	p := e.catProduct(seller.Token, map[string]any{"category_id": cat.ID, "name": "Pan", "description": "Cast iron",
		"attributes": map[string]any{"size": "L", "color": "black"}})

	patch := func(body any) response {
		return e.do(req{Method: "PATCH", Path: productPath(p.ID), Token: seller.Token, Body: body})
	}
	for _, tc := range []struct {
		name string
		body any
		want caseWant
	}{
		{"name null", map[string]any{"name": nil}, caseWant{400, "invalid", "name", ""}},
		{"price null", map[string]any{"price_cents": nil}, caseWant{400, "invalid", "price_cents", ""}},
		{"attributes null", map[string]any{"attributes": nil}, caseWant{400, "invalid", "attributes", ""}},
		{"name blank", map[string]any{"name": "  "}, caseWant{422, "validation", "name", ""}},
		{"name too long", map[string]any{"name": strings.Repeat("n", 201)}, caseWant{422, "validation", "name", ""}},
		{"name wrong type", map[string]any{"name": 1}, caseWant{400, "invalid", "name", ""}},
		{"description too long", map[string]any{"description": strings.Repeat("d", 10001)}, caseWant{422, "validation", "description", ""}},
		{"price negative", map[string]any{"price_cents": -5}, caseWant{422, "validation", "price_cents", ""}},
		{"price above the cap", map[string]any{"price_cents": 100000000001}, caseWant{422, "validation", "price_cents", ""}},
		{"price fractional", map[string]any{"price_cents": 1.5}, caseWant{400, "invalid", "price_cents", ""}},
		{"currency invalid", map[string]any{"currency": "usd"}, caseWant{422, "validation", "currency", ""}},
		{"category unknown", map[string]any{"category_id": cat.ID + 1000}, caseWant{422, "validation", "category_id", ""}},
		{"category zero", map[string]any{"category_id": 0}, caseWant{422, "validation", "category_id", ""}},
		{"status unknown", map[string]any{"status": "sold"}, caseWant{422, "validation", "status", ""}},
		{"attributes an array", map[string]any{"attributes": []string{"x"}}, caseWant{400, "invalid", "attributes", ""}},
		{"stock is not patched here", map[string]any{"on_hand": 3}, caseWant{400, "invalid", "on_hand", ""}},
		{"seller cannot be changed", map[string]any{"seller_id": uuid.NewString()}, caseWant{400, "invalid", "seller_id", ""}},
		{"malformed JSON", `{"name":"x"`, caseWant{400, "invalid", "", ""}},
		{"oversized body", map[string]any{"description": strings.Repeat("d", 70<<10)}, caseWant{413, "too_large", "", ""}},
	} {
		tc.want.check(t, tc.name, patch(tc.body))
	}

	var got productView
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: productPath(p.ID), Token: seller.Token, Body: map[string]any{}}).JSON(t, &got)
	if got.Name != "Pan" || !got.UpdatedAt.Equal(p.UpdatedAt) {
		t.Errorf("empty patch changed the product: %+v", got)
	}
	got = productView{}
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: productPath(p.ID), Token: seller.Token, Body: map[string]any{
		"category_id": other.ID, "name": "Skillet", "description": "", "price_cents": 3450, "currency": "GBP",
		"attributes": map[string]any{"size": "M"}, "status": "draft",
	}}).JSON(t, &got)
	if got.CategoryID != other.ID || got.Name != "Skillet" || got.Description != "" || got.PriceCents != 3450 ||
		got.Currency != "GBP" || len(got.Attributes) != 1 || got.Attributes["size"] != "M" || got.Status != "draft" ||
		!got.UpdatedAt.After(p.UpdatedAt) || !got.CreatedAt.Equal(p.CreatedAt) || got.SellerID != p.SellerID {
		t.Errorf("after a full patch: %+v", got)
	}
	e.mustDo(http.StatusNotFound, req{Method: "GET", Path: productPath(p.ID)}) // a draft now
	e.mustDo(http.StatusOK, req{Method: "PATCH", Path: productPath(p.ID), Token: seller.Token, Body: map[string]any{"status": "active"}})
	e.mustDo(http.StatusOK, req{Method: "GET", Path: productPath(p.ID)})
}

func TestInventory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, seller := e.newAdmin(), e.newSeller()
	cat := e.catCategory(admin, "Shoes", nil)
	p := e.catProduct(seller.Token, map[string]any{"category_id": cat.ID, "on_hand": 10, "low_stock_threshold": 2})
	e.catReserve(p.ID, 4)

	put := func(body any) response {
		return e.do(req{Method: "PUT", Path: inventoryPath(p.ID), Token: seller.Token, Body: body})
	}
	for _, tc := range []struct {
		name string
		body any
		want caseWant
	}{
		{"on_hand missing", map[string]any{"low_stock_threshold": 1}, caseWant{422, "validation", "on_hand", ""}},
		{"on_hand negative", map[string]any{"on_hand": -1}, caseWant{422, "validation", "on_hand", ""}},
		{"on_hand above the cap", map[string]any{"on_hand": 1000000001}, caseWant{422, "validation", "on_hand", ""}},
		{"on_hand a string", map[string]any{"on_hand": "5"}, caseWant{400, "invalid", "on_hand", ""}},
		{"on_hand fractional", map[string]any{"on_hand": 2.5}, caseWant{400, "invalid", "on_hand", ""}},
		{"threshold negative", map[string]any{"on_hand": 5, "low_stock_threshold": -1}, caseWant{422, "validation", "low_stock_threshold", ""}},
		{"reserved is not set by sellers", map[string]any{"on_hand": 5, "reserved": 0}, caseWant{400, "invalid", "reserved", ""}},
		{"empty body", "", caseWant{400, "invalid", "", ""}},
		{"below what checkouts hold", map[string]any{"on_hand": 3}, caseWant{409, "conflict", "", ""}},
	} {
		tc.want.check(t, tc.name, put(tc.body))
	}
	ev := catErr(t, put(map[string]any{"on_hand": 3}))
	if ev.Error.Details["reserved"] != float64(4) {
		t.Errorf("409 details = %v, want reserved 4", ev.Error.Details)
	}

	var inv inventoryView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: inventoryPath(p.ID), Token: seller.Token}).JSON(t, &inv)
	if inv.OnHand != 10 || inv.Reserved != 4 || inv.Available != 6 || inv.LowStockThreshold != 2 || inv.LowStock {
		t.Errorf("refused PUTs changed stock: %+v", inv)
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want inventoryView // compared: OnHand, Reserved, Available, LowStockThreshold, LowStock
	}{
		{"equal to reserved sells out", map[string]any{"on_hand": 4}, inventoryView{OnHand: 4, Reserved: 4, Available: 0, LowStockThreshold: 2, LowStock: true}},
		{"restock keeps the threshold", map[string]any{"on_hand": 7}, inventoryView{OnHand: 7, Reserved: 4, Available: 3, LowStockThreshold: 2, LowStock: false}},
		{"threshold reached is low", map[string]any{"on_hand": 7, "low_stock_threshold": 3}, inventoryView{OnHand: 7, Reserved: 4, Available: 3, LowStockThreshold: 3, LowStock: true}},
		{"threshold zero", map[string]any{"on_hand": 100, "low_stock_threshold": 0}, inventoryView{OnHand: 100, Reserved: 4, Available: 96, LowStockThreshold: 0, LowStock: false}},
	} {
		var got inventoryView
		e.mustDo(http.StatusOK, req{Method: "PUT", Path: inventoryPath(p.ID), Token: seller.Token, Body: tc.body}).JSON(t, &got)
		if got.ProductID != p.ID || got.OnHand != tc.want.OnHand || got.Reserved != tc.want.Reserved || got.Available != tc.want.Available ||
			got.LowStockThreshold != tc.want.LowStockThreshold || got.LowStock != tc.want.LowStock {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
		if !got.UpdatedAt.After(inv.UpdatedAt) && !got.UpdatedAt.Equal(inv.UpdatedAt) {
			t.Errorf("%s: updated_at went back", tc.name)
		}
		inv = got
	}
	var shown productView
	e.mustDo(http.StatusOK, req{Method: "GET", Path: productPath(p.ID)}).JSON(t, &shown)
	if shown.Stock.Available != 96 || !shown.Stock.InStock {
		t.Errorf("product stock = %+v, want 96 available", shown.Stock)
	}
}
