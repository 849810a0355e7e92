package activities

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"shopflow/errs"
	"shopflow/notify"
	"shopflow/store"
)

// Notify holds the dependencies of notification delivery.
type Notify struct {
	Store   *store.Store
	Service *notify.Service
	Logger  *slog.Logger
}

// DeliverOutboxInput bounds one batch.
type DeliverOutboxInput struct {
	AfterID int64
	Limit   int
}

// DeliverOutboxResult says what one batch did; LastID continues the drain.
type DeliverOutboxResult struct {
	Items  int
	LastID int64
	Sent   int
	Failed int
	Retry  int // items left queued after transient failures, for the next run
}

// DeliverOutbox delivers up to Limit queued outbox items: order events to the customer in-app
// and by email, low-stock alerts to the seller on its chosen channels. Each send goes through
// the Service under key recipient:kind:outbox-<id>:channel, so a retried activity sends
// nothing twice; an item is marked sent (or failed, when every channel failed permanently)
// only once all its channels are settled.
//
// One drain at a time (store.WithDrainLock): the pushed drain and the Schedule's take turns.
func (a *Notify) DeliverOutbox(ctx context.Context, in DeliverOutboxInput) (DeliverOutboxResult, error) {
	var res DeliverOutboxResult
	err := a.Store.WithDrainLock(ctx, func() error {
		items, err := a.Store.QueuedOutbox(ctx, in.AfterID, in.Limit)
		if err != nil {
			return err
		}
		for _, it := range items {
			res.Items++
			res.LastID = it.ID
			status, err := a.deliver(ctx, it)
			if err != nil {
				if errors.Is(err, notify.ErrRetryLater) {
					res.Retry++
					continue
				}
				return err
			}
			if err := a.Store.FinishOutbox(ctx, it.ID, status); err != nil {
				return err
			}
			if status == store.NotificationSent {
				res.Sent++
			} else {
				res.Failed++
			}
		}
		return nil
	})
	return res, err
}

func (a *Notify) deliver(ctx context.Context, it store.OutboxItem) (string, error) {
	contact, err := a.Store.ContactOf(ctx, it.RecipientID)
	if err != nil {
		return "", err
	}
	subject, text := compose(it)
	targets := map[string]string{store.ChannelInApp: "", store.ChannelEmail: contact.Email}
	// Seller notices follow the seller's channel preferences.
	if it.Kind == "low_stock" || it.Kind == store.ReviewReceivedKind || store.SellerNoticeKind(it.Kind) {
		targets = map[string]string{}
		email := contact.Prefs.Email
		if email == "" {
			email = contact.Email
		}
		for _, ch := range contact.Prefs.Channels {
			targets[ch] = map[string]string{store.ChannelEmail: email, store.ChannelSMS: contact.Prefs.Phone}[ch]
		}
	}
	anySent, anyTried := false, false
	for _, ch := range []string{store.ChannelInApp, store.ChannelEmail, store.ChannelSMS} { // fixed order
		to, ok := targets[ch]
		if !ok {
			continue
		}
		if !a.Service.Configured(ch) {
			a.Logger.WarnContext(ctx, "notification channel not configured; skipped", "channel", ch, "outbox_id", it.ID)
			continue
		}
		anyTried = true
		out, err := a.Service.Send(ctx, notify.Request{Key: notify.Key(it.RecipientID, it.Kind, fmt.Sprint("outbox-", it.ID), ch),
			RecipientID: it.RecipientID, To: to, Channel: ch, Kind: it.Kind, Subject: subject, Text: text})
		if err != nil {
			return "", err
		}
		if out.Status == store.NotificationSent {
			anySent = true
		}
	}
	if anyTried && !anySent {
		return "failed", nil
	}
	return "sent", nil
}

// compose writes the message for an outbox item from its payload.
func compose(it store.OutboxItem) (subject, text string) {
	var p struct {
		OrderID    string `json:"order_id"`
		TotalCents int64  `json:"total_cents"`
		Currency   string `json:"currency"`
		ProductID  int64  `json:"product_id"`
		Name       string `json:"name"`
		Available  int    `json:"available"`
		// Subject and Text are set by notices written in full (store.QueueNotice).
		Subject string `json:"subject"`
		Text    string `json:"text"`
	}
	_ = json.Unmarshal(it.Payload, &p)
	if p.Subject != "" && p.Text != "" {
		return p.Subject, p.Text
	}
	switch it.Kind {
	case store.ReviewReceivedKind:
		return notify.ComposeReviewReceived(it.Payload)
	case "low_stock":
		return fmt.Sprintf("Low stock: %s", p.Name), fmt.Sprintf("%s (product %d) has %d left.", p.Name, p.ProductID, p.Available)
	case "order_placed":
		return "Your order is placed", fmt.Sprintf("Order %s is placed: %d.%02d %s.", p.OrderID, p.TotalCents/100, p.TotalCents%100, p.Currency)
	case "order_canceled":
		return "Your order was canceled", fmt.Sprintf("Order %s was canceled.", p.OrderID)
	case "order_shipped":
		return "Your order has shipped", fmt.Sprintf("Order %s has shipped.", p.OrderID)
	case "order_delivered":
		return "Your order was delivered", fmt.Sprintf("Order %s was delivered.", p.OrderID)
	}
	return "Shopflow: " + it.Kind, "You have a new notification."
}

// DeliverFilesInput bounds one pass over submitted notification files.
type DeliverFilesInput struct {
	Limit int // files per pass
}

// DeliverFilesResult counts the files finished.
type DeliverFilesResult struct {
	Files int
	Rows  int
}

// DeliverFiles delivers the rows of submitted notification files through the Service, under
// keys recipient:file:<sha256 prefix>-row<n>:channel, so the same file submitted again (or a
// retried activity) sends nothing twice, and stores each file's per-row results.
func (a *Notify) DeliverFiles(ctx context.Context, in DeliverFilesInput) (DeliverFilesResult, error) {
	var res DeliverFilesResult
	// Under the drain lock, like the outbox: a file delivered by two drains at once would get
	// the results of whichever finished first, "duplicate" and "retry" for rows the other sent.
	err := a.Store.WithDrainLock(ctx, func() error {
		files, err := a.Store.PendingNotificationFiles(ctx, in.Limit)
		if err != nil {
			return err
		}
		for _, f := range files {
			results := append([]store.NotificationRowResult{}, f.Rejected...)
			for _, row := range f.Rows {
				r, err := a.deliverRow(ctx, f.SHA256, row)
				if err != nil {
					return err
				}
				results = append(results, r)
			}
			slices.SortFunc(results, func(x, y store.NotificationRowResult) int { return cmp.Compare(x.Row, y.Row) })
			if err := a.Store.FinishNotificationFile(ctx, f.ID, results); err != nil {
				return err
			}
			res.Files++
			res.Rows += len(results)
		}
		return nil
	})
	return res, err
}

// deliverRow sends one file row. Only infrastructure failures (the database) are errors; what
// became of the row, including a recipient that cannot be reached, is its result.
func (a *Notify) deliverRow(ctx context.Context, sha string, row store.NotificationFileRow) (store.NotificationRowResult, error) {
	res := store.NotificationRowResult{Row: row.Row, Recipient: row.Recipient, Channel: row.Channel}
	reject := func(format string, args ...any) (store.NotificationRowResult, error) {
		res.Status, res.Error = "rejected", fmt.Sprintf(format, args...)
		return res, nil
	}
	req := notify.Request{Channel: row.Channel, Kind: "file", Subject: row.Subject, Text: row.Message}
	if req.Subject == "" {
		req.Subject = "Message from Shopflow"
	}
	contact, err := a.Store.ContactOf(ctx, row.Recipient)
	switch {
	case errs.Is(err, errs.NotFound) && row.Channel == store.ChannelEmail && strings.Contains(row.Recipient, "@"):
		req.To = strings.ToLower(row.Recipient) // not a user: mail the address as given
	case errs.Is(err, errs.NotFound):
		return reject("no user %q", row.Recipient)
	case err != nil:
		return res, err
	default:
		req.RecipientID = contact.UserID
		switch row.Channel {
		case store.ChannelEmail:
			req.To = contact.Email
			if contact.Prefs.Email != "" {
				req.To = contact.Prefs.Email
			}
		case store.ChannelSMS:
			if contact.Prefs.Phone == "" {
				return reject("recipient has no phone number in its notification preferences")
			}
			req.To = contact.Prefs.Phone
		}
	}
	who := req.RecipientID
	if who == "" {
		who = req.To
	}
	req.Key = notify.Key(who, "file", fmt.Sprintf("%.16s-row%d", sha, row.Row), row.Channel)
	if !a.Service.Configured(row.Channel) {
		res.Status, res.Error = "retry", "channel "+row.Channel+" is not configured"
		return res, nil
	}
	out, err := a.Service.Send(ctx, req)
	switch {
	case errors.Is(err, notify.ErrRetryLater):
		res.Status, res.Error = "retry", out.Error
	case err != nil:
		return res, err
	case out.Duplicate && out.Status == store.NotificationSent:
		res.Status = "duplicate"
	case out.Status == store.NotificationSent:
		res.Status = "sent"
	case out.Status == store.NotificationFailed:
		res.Status, res.Error = "failed", out.Error
	default:
		res.Status, res.Error = "retry", "another delivery of this row is in flight"
	}
	return res, nil
}
