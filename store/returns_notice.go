package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Return events the customer and the seller are told about: each return status, and a refund
// the provider refused.
const (
	ReturnEventRefundFailed = "refund_failed"
)

// ReturnNotice tells a return's customer and seller about one event of it.
type ReturnNotice struct {
	ReturnID string
	// Event is a return status or ReturnEventRefundFailed.
	Event string
	// Seq tells repeated events apart (a refund refused again after a retry); 0 for one-off events.
	Seq int
	// Detail is added to the text: a reason, a tracking number, an amount.
	Detail string
}

// returnEventText is the customer's and the seller's line for each event.
var returnEventText = map[string][2]string{
	ReturnRequested:         {"We received your return request; the seller will decide on it.", "A customer asked to return goods; please approve or reject the request."},
	ReturnApproved:          {"Your return was approved; please ship the goods back before the date given.", "You approved a return; the customer will ship the goods back."},
	ReturnRejected:          {"Your return was rejected.", "You rejected a return."},
	ReturnShipped:           {"You shipped your return back.", "A customer shipped a return back to you; mark it received when it arrives."},
	ReturnReceived:          {"The seller received your return; your refund is on its way.", "You received a return; the refund is being issued."},
	ReturnRefunded:          {"Your refund was issued.", "The refund of a return was issued."},
	ReturnExpired:           {"Your return expired: it was not completed in time.", "A return expired: it was not completed in time."},
	ReturnCanceled:          {"You canceled your return.", "A customer canceled a return."},
	ReturnEventRefundFailed: {"Your refund could not be issued yet; we are on it.", "The refund of a return failed at the payment provider; an admin can retry it."},
}

// QueueReturnNotices queues the event's notice to the return's customer (kind return_<event>)
// and to its seller's account (kind seller_return_<event>), once per return, event and Seq.
func (s *Store) QueueReturnNotices(ctx context.Context, n ReturnNotice) error {
	texts, ok := returnEventText[n.Event]
	if !ok {
		return fmt.Errorf("no notice for return event %q", n.Event)
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var orderID, customer, sellerUser string
		if err := tx.QueryRow(ctx, `SELECT r.order_id::text, r.customer_id::text, s.user_id::text
			FROM returns r JOIN sellers s ON s.id = r.seller_id WHERE r.id = $1`, n.ReturnID).Scan(&orderID, &customer, &sellerUser); err != nil {
			return classify(err, "return")
		}
		subject := "Return " + shortID(n.ReturnID) + ": " + strings.ReplaceAll(n.Event, "_", " ")
		data := map[string]any{"return_id": n.ReturnID, "order_id": orderID, "event": n.Event}
		key := fmt.Sprintf("return:%s:%s:%d", n.ReturnID, n.Event, n.Seq)
		for i, to := range []struct{ id, kind string }{{customer, "return_" + n.Event}, {sellerUser, "seller_return_" + n.Event}} {
			text := texts[i]
			if n.Detail != "" {
				text += " " + n.Detail
			}
			if err := QueueNotice(ctx, tx, Notice{Key: key + ":" + to.kind, RecipientID: to.id, Kind: to.kind,
				Subject: subject, Text: text, Data: data}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("notify return %s %s: %w", n.ReturnID, n.Event, err)
	}
	s.AnnounceOutbox(ctx)
	return nil
}

// shortID is the first block of a UUID, enough for a person to tell returns apart.
func shortID(id string) string {
	if i := strings.IndexByte(id, '-'); i > 0 {
		return id[:i]
	}
	return id
}
