package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestMarketingPreferences(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	customer := e.newCustomer()
	path := "/api/v1/users/me/marketing-preferences"

	var got map[string]any
	e.mustDo(http.StatusOK, req{Method: "GET", Path: path, Token: customer.Token}).JSON(t, &got)
	if got["promotions"] != false || fmt.Sprint(got["channels"]) != "[inapp]" || got["phone"] != "" ||
		got["updated_at"] != nil || got["email"] != customer.Email {
		t.Fatalf("defaults: %v, want not opted in, in-app, the account email", got)
	}

	tests := []struct {
		name      string
		body      any
		want      int
		wantField string
	}{
		{"opt in on every channel", map[string]any{"promotions": true, "channels": []string{"email", "sms", "inapp"}, "phone": "+14155552671"}, 200, ""},
		{"opt out keeping channels", map[string]any{"promotions": false, "channels": []string{"inapp"}}, 200, ""},
		{"opt out with no channel at all", map[string]any{"promotions": false, "channels": []string{}}, 200, ""},
		{"unknown channel is 422 naming it", map[string]any{"promotions": true, "channels": []string{"fax"}}, 422, "channels[0]"},
		{"repeated channel is 422", map[string]any{"promotions": true, "channels": []string{"email", "email"}}, 422, "channels"},
		{"sms without a phone is 422", map[string]any{"promotions": true, "channels": []string{"sms"}}, 422, "phone"},
		{"malformed phone is 422", map[string]any{"promotions": true, "channels": []string{"sms"}, "phone": "415-555-2671"}, 422, "phone"},
		{"impossible number is 422", map[string]any{"promotions": true, "channels": []string{"sms"}, "phone": "+1000"}, 422, "phone"},
		{"opting in with no channel is 422", map[string]any{"promotions": true, "channels": []string{}}, 422, "channels"},
		{"promotions missing is 422", map[string]any{"channels": []string{"inapp"}}, 422, "promotions"},
		{"channels missing is 422", map[string]any{"promotions": true}, 422, "channels"},
		{"wrong type is 400", map[string]any{"promotions": "yes", "channels": []string{"inapp"}}, 400, "promotions"},
		{"unknown field is 400", map[string]any{"promotions": true, "channels": []string{"inapp"}, "email": "x@example.com"}, 400, "email"},
		{"malformed JSON is 400", `{"promotions": tru`, 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(req{Method: "PUT", Path: path, Token: customer.Token, Body: tc.body})
			if res.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", res.Code, tc.want, res.Body)
			}
			if tc.want >= 400 && res.ErrorCode(t) == "" {
				t.Errorf("no error code: %s", res.Body)
			}
			if tc.wantField != "" && !strings.Contains(string(res.Body), `"`+tc.wantField+`"`) {
				t.Errorf("error does not name %s: %s", tc.wantField, res.Body)
			}
		})
	}

	// The last valid PUT (opted out, no channel) stands; a rejected one changed nothing.
	e.mustDo(http.StatusOK, req{Method: "GET", Path: path, Token: customer.Token}).JSON(t, &got)
	if got["promotions"] != false || fmt.Sprint(got["channels"]) != "[]" || got["updated_at"] == nil {
		t.Fatalf("after the PUTs: %v", got)
	}
	e.mustDo(http.StatusOK, req{Method: "PUT", Path: path, Token: customer.Token,
		Body: map[string]any{"promotions": true, "channels": []string{"sms", "email"}, "phone": "+14155552671"}})
	e.mustDo(http.StatusOK, req{Method: "GET", Path: path, Token: customer.Token}).JSON(t, &got)
	if got["promotions"] != true || fmt.Sprint(got["channels"]) != "[sms email]" || got["phone"] != "+14155552671" {
		t.Fatalf("after opting in: %v", got)
	}

	// Each customer has its own preferences.
	other := e.newCustomer()
	e.mustDo(http.StatusOK, req{Method: "GET", Path: path, Token: other.Token}).JSON(t, &got)
	if got["promotions"] != false {
		t.Errorf("another customer sees %v", got)
	}
}

func TestMarketingPreferencesRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/api/v1/users/me/marketing-preferences"
	body := map[string]any{"promotions": true, "channels": []string{"inapp"}}
	for _, tc := range []struct {
		name  string
		token string
		want  int
	}{
		{"anonymous is 401", "", http.StatusUnauthorized},
		{"seller is 403", e.newSeller().Token, http.StatusForbidden},
		{"admin is 403", e.newAdmin().Token, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.mustDo(tc.want, req{Method: "GET", Path: path, Token: tc.token})
			e.mustDo(tc.want, req{Method: "PUT", Path: path, Token: tc.token, Body: body})
		})
	}
}
