package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestNotificationPreferences(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seller := e.newSeller()
	path := "/api/v1/sellers/me/notification-preferences"

	var got map[string]any
	e.mustDo(http.StatusOK, req{Method: "GET", Path: path, Token: seller.Token}).JSON(t, &got)
	if fmt.Sprint(got["channels"]) != "[inapp]" {
		t.Fatalf("defaults: %v", got)
	}

	tests := []struct {
		name      string
		body      map[string]any
		want      int
		wantField string
	}{
		{"all channels with valid addresses", map[string]any{"channels": []string{"email", "sms", "inapp"}, "email": "me@shop.example", "phone": "+14155552671"}, 200, ""},
		{"malformed phone is 422 naming phone", map[string]any{"channels": []string{"sms"}, "phone": "415-555-2671"}, 422, "phone"},
		{"impossible number is 422", map[string]any{"channels": []string{"sms"}, "phone": "+1000"}, 422, "phone"},
		{"sms without a phone is 422", map[string]any{"channels": []string{"sms"}}, 422, "phone"},
		{"bad email is 422 naming email", map[string]any{"channels": []string{"email"}, "email": "not-an-email"}, 422, "email"},
		{"unknown channel is 422", map[string]any{"channels": []string{"fax"}}, 422, "channels[0]"},
		{"repeated channel is 422", map[string]any{"channels": []string{"email", "email"}}, 422, "channels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(req{Method: "PUT", Path: path, Token: seller.Token, Body: tc.body})
			if res.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", res.Code, tc.want, res.Body)
			}
			if tc.wantField != "" && !strings.Contains(string(res.Body), `"`+tc.wantField+`"`) {
				t.Errorf("error does not name %s: %s", tc.wantField, res.Body)
			}
		})
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: path, Token: seller.Token}).JSON(t, &got)
	if fmt.Sprint(got["channels"]) != "[email sms inapp]" || got["phone"] != "+14155552671" {
		t.Fatalf("after put: %v", got)
	}
	customer := e.newCustomer()
	e.mustDo(http.StatusForbidden, req{Method: "GET", Path: path, Token: customer.Token})
}

func TestInboxAndRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, bob := e.newCustomer(), e.newCustomer()
	for i := range 3 {
		e.exec(`INSERT INTO notifications (idempotency_key, recipient_id, channel, kind, subject, body, status)
			VALUES ($1, $2, 'inapp', 'order_placed', $3, 'b', 'sent')`, fmt.Sprintf("%s:order_placed:%d:inapp", alice.ID, i), alice.ID, fmt.Sprint("n", i))
	}
	type page struct {
		Items []struct {
			ID      int64   `json:"id"`
			Subject string  `json:"subject"`
			ReadAt  *string `json:"read_at"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	var p1, p2 page
	e.mustDo(200, req{Method: "GET", Path: "/api/v1/notifications?limit=2", Token: alice.Token}).JSON(t, &p1)
	if len(p1.Items) != 2 || p1.Items[0].Subject != "n2" || p1.NextCursor == nil {
		t.Fatalf("page 1: %+v", p1)
	}
	e.mustDo(200, req{Method: "GET", Path: "/api/v1/notifications?limit=2&cursor=" + *p1.NextCursor, Token: alice.Token}).JSON(t, &p2)
	if len(p2.Items) != 1 || p2.Items[0].Subject != "n0" || p2.NextCursor != nil {
		t.Fatalf("page 2: %+v", p2)
	}
	readPath := fmt.Sprintf("/api/v1/notifications/%d/read", p1.Items[0].ID)
	e.mustDo(http.StatusNotFound, req{Method: "POST", Path: readPath, Token: bob.Token})
	e.mustDo(http.StatusOK, req{Method: "POST", Path: readPath, Token: alice.Token})
	var unread page
	e.mustDo(200, req{Method: "GET", Path: "/api/v1/notifications?unread=true", Token: alice.Token}).JSON(t, &unread)
	if len(unread.Items) != 2 {
		t.Fatalf("unread: %+v", unread)
	}
	var none page
	e.mustDo(200, req{Method: "GET", Path: "/api/v1/notifications", Token: bob.Token}).JSON(t, &none)
	if len(none.Items) != 0 {
		t.Fatalf("bob sees %d of alice's notifications", len(none.Items))
	}
	e.mustDo(http.StatusBadRequest, req{Method: "GET", Path: "/api/v1/notifications?unread=maybe", Token: alice.Token})
	e.mustDo(http.StatusBadRequest, req{Method: "GET", Path: "/api/v1/notifications?cursor=garbage", Token: alice.Token})
	e.mustDo(http.StatusNotFound, req{Method: "GET", Path: "/api/v1/admin/notifications/files/" + alice.ID, Token: e.newAdmin().Token})
}

func TestSubmitNotificationFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, customer := e.newAdmin(), e.newCustomer()
	path := "/api/v1/admin/notifications/files"
	ndjson := `{"recipient":"` + customer.ID + `","channel":"inapp","message":"Hi"}` + "\n" +
		`{"recipient":"` + customer.Email + `","channel":"pigeon","message":"Hi"}` + "\n" +
		"not json\n"
	res := e.mustDo(http.StatusAccepted, req{Method: "POST", Path: path, Token: admin.Token, Body: ndjson,
		Header: map[string]string{"Content-Type": "application/x-ndjson"}})
	var f struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Rows     int    `json:"rows"`
		Rejected int    `json:"rejected"`
		Results  []struct {
			Row    int    `json:"row"`
			Status string `json:"status"`
			Error  string `json:"error"`
		} `json:"results"`
	}
	res.JSON(t, &f)
	if f.Status != "processing" || f.Rows != 3 || f.Rejected != 2 || len(f.Results) != 2 || f.Results[0].Row != 2 || f.Results[1].Row != 3 {
		t.Fatalf("submitted: %+v", f)
	}
	e.mustDo(http.StatusOK, req{Method: "GET", Path: path + "/" + f.ID, Token: admin.Token})
	e.mustDo(http.StatusForbidden, req{Method: "POST", Path: path, Token: customer.Token, Body: ndjson,
		Header: map[string]string{"Content-Type": "application/x-ndjson"}})
	e.mustDo(http.StatusBadRequest, req{Method: "POST", Path: path, Token: admin.Token, Body: "a,b\n",
		Header: map[string]string{"Content-Type": "text/plain"}})
	e.mustDo(http.StatusUnprocessableEntity, req{Method: "POST", Path: path + "?format=csv", Token: admin.Token, Body: "who,what\nx,y\n",
		Header: map[string]string{"Content-Type": "text/csv"}})
}
