package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"shopflow/api"
	"shopflow/config"
	"shopflow/workflows"
)

// Three customers who opted in and one who opted out, a promotion announced to start in a few
// seconds: the announcement waits for the start, then the real worker tells exactly the three,
// once each, in the in-app inbox, in batches of two. Announcing again, while it runs and after
// it finished, tells nobody twice.
func TestPromotionAnnouncedOnceToOptedInCustomers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConfig(func(c *config.Config) { c.PromotionBatchSize = 2 }))
	ctx, cancel := context.WithTimeout(context.Background(), sagaDeadline)
	defer cancel()

	customers := e.newCustomers(4)
	optedIn, optedOut := customers[:3], customers[3]
	for _, c := range optedIn {
		e.mustSend(request{method: "PUT", path: "/api/v1/users/me/marketing-preferences", token: c.Token,
			body: map[string]any{"promotions": true, "channels": []string{"inapp"}}}, nil, http.StatusOK)
	}
	e.mustSend(request{method: "PUT", path: "/api/v1/users/me/marketing-preferences", token: optedOut.Token,
		body: map[string]any{"promotions": false, "channels": []string{"inapp"}}}, nil, http.StatusOK)

	startsAt := time.Now().Add(3 * time.Second).UTC().Truncate(time.Millisecond)
	var id int64
	if err := e.db.QueryRow(ctx, `INSERT INTO promotions (name, code, kind, percent_bp, starts_at, ends_at, announce)
		VALUES ('Launch week', 'LAUNCH15', 'percent', 1500, $1, $1::timestamptz + interval '7 days', true) RETURNING id`,
		startsAt).Scan(&id); err != nil {
		t.Fatal(err)
	}

	// The announcer the API is built with (app/api.go), as the admin promotion routes use it.
	var announcer api.PromotionAnnouncer
	if _, err := e.openApp().API(func(d *api.Deps) { announcer = d.Announcer }); err != nil {
		t.Fatal(err)
	}
	if announcer == nil {
		t.Fatal("the API has no promotion announcer")
	}
	for range 2 { // the second finds the first waiting
		if err := announcer.AnnouncePromotion(ctx, id, startsAt); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.count(`SELECT count(*) FROM notifications WHERE kind = 'promotion'`); n != 0 {
		t.Fatalf("%d announcements before the promotion started", n)
	}

	var res workflows.AnnouncePromotionResult
	if err := e.temporal.GetWorkflow(ctx, workflows.AnnouncePromotionWorkflowID(id), "").Get(ctx, &res); err != nil {
		t.Fatalf("announcement: %v", err)
	}
	if time.Now().Before(startsAt) {
		t.Errorf("announcement finished before the promotion started")
	}
	if res.Outcome != workflows.AnnouncementAnnounced || res.Customers != 3 || res.Sent != 3 || res.Batches != 2 {
		t.Errorf("result = %+v, want 3 customers told in 2 batches", res)
	}
	e.wantAnnounced(id, optedIn, optedOut)

	// Announcing a finished announcement again runs it again, and it tells nobody twice.
	if err := announcer.AnnouncePromotion(ctx, id, startsAt); err != nil {
		t.Fatal(err)
	}
	eventually(t, sagaDeadline, func() (bool, error) {
		var again workflows.AnnouncePromotionResult
		err := e.temporal.GetWorkflow(ctx, workflows.AnnouncePromotionWorkflowID(id), "").Get(ctx, &again)
		return err == nil && again.Duplicates == 3, err
	}, func() string { return "the second announcement to find every customer told" })
	e.wantAnnounced(id, optedIn, optedOut)
}

// wantAnnounced checks each opted-in customer has exactly one in-app announcement of the
// promotion in its inbox, saying what it gives, and the opted-out one none.
func (e *env) wantAnnounced(id int64, optedIn []account, optedOut account) {
	e.t.Helper()
	if n := e.count(`SELECT count(*) FROM notifications WHERE kind = 'promotion' AND channel = 'inapp' AND status = 'sent'
		AND idempotency_key LIKE '%:promotion:' || $1::bigint::text || ':inapp'`, id); n != 3 {
		e.t.Errorf("%d in-app announcements, want 3", n)
	}
	type inbox struct {
		Items []struct {
			Kind    string `json:"kind"`
			Subject string `json:"subject"`
			Body    string `json:"body"`
		} `json:"items"`
	}
	for _, c := range optedIn {
		var got inbox
		e.mustSend(request{method: "GET", path: "/api/v1/notifications", token: c.Token}, &got, http.StatusOK)
		if len(got.Items) != 1 {
			e.t.Errorf("customer %s has %d notifications, want the one announcement", c.ID, len(got.Items))
			continue
		}
		if n := got.Items[0]; n.Subject != "New promotion: Launch week" {
			e.t.Errorf("customer %s got %+v", c.ID, n)
		}
	}
	var got inbox
	e.mustSend(request{method: "GET", path: "/api/v1/notifications", token: optedOut.Token}, &got, http.StatusOK)
	if len(got.Items) != 0 {
		e.t.Errorf("the customer who opted out has %d notifications", len(got.Items))
	}
}
