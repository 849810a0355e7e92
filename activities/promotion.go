package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"shopflow/errs"
	"shopflow/notify"
	"shopflow/store"
)

// Promotions holds the dependencies of promotion announcements.
type Promotions struct {
	Store   *store.Store
	Service *notify.Service
	// Location is the zone end dates are written in (the report zone); nil is UTC.
	Location *time.Location
	Logger   *slog.Logger
	// Now is the clock that says whether a promotion has started or ended; nil is time.Now.
	Now func() time.Time
}

// PromotionKind is the notification kind of an announcement; its idempotency key is
// <user id>:promotion:<promotion id>:<channel>.
const PromotionKind = "promotion"

// Whether a promotion may be announced now, as CheckPromotion and AnnounceBatch say.
const (
	PromotionReady        = "ready"         // started, active, to be announced, not ended
	PromotionNotYet       = "not_yet"       // starts later (StartsAt)
	PromotionInactive     = "inactive"      // deactivated
	PromotionNotAnnounced = "not_announced" // announce was turned off
	PromotionEnded        = "ended"
	PromotionNotFound     = "not_found" // deleted
)

// ErrAnnounceRetry is the type of the error AnnounceBatch returns when some sends failed
// transiently: Temporal retries the activity, and the idempotency keys resume only those.
const ErrAnnounceRetry = "AnnounceRetry"

// CheckPromotionInput names the promotion to check.
type CheckPromotionInput struct {
	PromotionID int64
}

// CheckPromotionResult says whether the promotion may be announced now and, if it starts
// later, when.
type CheckPromotionResult struct {
	Status   string // one of the Promotion* statuses
	StartsAt time.Time
}

// CheckPromotion reads the promotion and says whether it may be announced now: the workflow
// asks when its wait ends, since the promotion may have been changed or deactivated meanwhile.
func (a *Promotions) CheckPromotion(ctx context.Context, in CheckPromotionInput) (CheckPromotionResult, error) {
	p, status, err := a.load(ctx, in.PromotionID)
	if err != nil {
		return CheckPromotionResult{}, err
	}
	return CheckPromotionResult{Status: status, StartsAt: p.StartsAt}, nil
}

// AnnounceBatchInput is one batch of an announcement: the opted-in customers after After.
type AnnounceBatchInput struct {
	PromotionID int64
	After       string // the last user id of the previous batch; empty starts at the first
	Limit       int
}

// AnnounceBatchResult is what became of one batch, counted per (customer, channel).
type AnnounceBatchResult struct {
	// Status is PromotionReady, or why nothing was sent (the promotion changed meanwhile).
	Status    string
	Customers int    // opted-in customers in the batch; fewer than Limit ends the announcement
	Last      string // the last customer's user id: the next batch's After
	Sent      int
	// Duplicates were sent before (a retried batch, a rerun of the announcement).
	Duplicates int
	Failed     int // refused for good by the provider
	Skipped    int // channel not configured here, or sms without a phone
	Retry      int // transient failures that outlasted the service's retries
}

// AnnounceBatch tells the next Limit opted-in customers after After of the promotion, on each
// channel they chose, through notify.Service (paced per channel by its limiter, across every
// worker). Consent is read when the batch runs, so a customer who opted out since the
// announcement began is not told; the promotion is read again too, and a promotion deactivated,
// ended or withdrawn from announcement meanwhile sends nothing. A retry resumes after the last
// customer the failed attempt finished (heartbeat details), and every send is idempotent.
func (a *Promotions) AnnounceBatch(ctx context.Context, in AnnounceBatchInput) (AnnounceBatchResult, error) {
	if in.Limit <= 0 {
		return AnnounceBatchResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("batch limit %d", in.Limit), "InvalidBatch", nil)
	}
	p, status, err := a.load(ctx, in.PromotionID)
	if err != nil || status != PromotionReady {
		return AnnounceBatchResult{Status: status}, err
	}
	recipients, err := a.Store.PromotionRecipientsAfter(ctx, in.After, in.Limit)
	if err != nil {
		return AnnounceBatchResult{}, err
	}
	var cp announceCheckpoint
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &cp)
	}
	res := cp.Totals
	res.Status, res.Customers = PromotionReady, len(recipients)
	if len(recipients) > 0 {
		res.Last = recipients[len(recipients)-1].UserID
	}
	msg := composeAnnouncement(p, a.location())
	// The checkpoint stops before the first customer with a transient failure: the retry starts
	// there, and those after it (sent again) find their keys settled and count as duplicates.
	failed := false
	for _, r := range recipients {
		if cp.Done != "" && r.UserID <= cp.Done {
			continue
		}
		retries := res.Retry
		if err := a.send(ctx, p.ID, r, msg, &res); err != nil {
			return res, err
		}
		failed = failed || res.Retry > retries
		if !failed {
			cp.Done, cp.Totals = r.UserID, res
		}
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, cp)
		}
	}
	a.logger().InfoContext(ctx, "promotion announced to a batch", "promotion_id", p.ID, "after", in.After,
		"customers", res.Customers, "sent", res.Sent, "duplicates", res.Duplicates, "failed", res.Failed,
		"skipped", res.Skipped, "retry", res.Retry)
	if res.Retry > 0 {
		return res, temporal.NewApplicationError(fmt.Sprintf("%d announcement sends failed transiently", res.Retry), ErrAnnounceRetry)
	}
	return res, nil
}

// announceCheckpoint is how far an AnnounceBatch attempt got: the last customer whose every
// channel is settled, and the counts up to there.
type announceCheckpoint struct {
	Done   string
	Totals AnnounceBatchResult
}

// load reads the promotion and says whether it may be announced now.
func (a *Promotions) load(ctx context.Context, id int64) (store.PromotionAnnouncement, string, error) {
	p, err := a.Store.PromotionForAnnouncement(ctx, id)
	if errs.Is(err, errs.NotFound) {
		return p, PromotionNotFound, nil
	}
	if err != nil {
		return p, "", err
	}
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	switch {
	case !p.Active:
		return p, PromotionInactive, nil
	case !p.Announce:
		return p, PromotionNotAnnounced, nil
	case p.EndsAt != nil && !now.Before(*p.EndsAt):
		return p, PromotionEnded, nil
	case now.Before(p.StartsAt):
		return p, PromotionNotYet, nil
	}
	return p, PromotionReady, nil
}

// send tells one customer on each channel it chose, in a fixed order, and counts the outcomes.
func (a *Promotions) send(ctx context.Context, id int64, r store.PromotionRecipient, msg announcement, res *AnnounceBatchResult) error {
	period := strconv.FormatInt(id, 10)
	for _, ch := range []string{store.ChannelInApp, store.ChannelEmail, store.ChannelSMS} {
		if !slices.Contains(r.Channels, ch) {
			continue
		}
		req := notify.Request{Key: notify.Key(r.UserID, PromotionKind, period, ch), RecipientID: r.UserID,
			Channel: ch, Kind: PromotionKind, Subject: msg.Subject, Text: msg.Text}
		switch ch {
		case store.ChannelEmail:
			req.To = r.Email
		case store.ChannelSMS:
			req.To, req.Text = r.Phone, msg.Short
		}
		if !a.Service.Configured(ch) || (ch == store.ChannelSMS && req.To == "") {
			res.Skipped++
			continue
		}
		out, err := a.Service.Send(ctx, req)
		switch {
		case errors.Is(err, notify.ErrRetryLater):
			res.Retry++
		case err != nil:
			return fmt.Errorf("announce promotion %d to %s on %s: %w", id, r.UserID, ch, err)
		case out.Duplicate:
			res.Duplicates++
		case out.Status == store.NotificationSent:
			res.Sent++
		case out.Status == store.NotificationFailed:
			res.Failed++
		}
	}
	return nil
}

// announcement is the message of a promotion, ready for every channel.
type announcement struct {
	Subject, Text string
	Short         string // the SMS
}

// composeAnnouncement says what the promotion is called, what it gives, its code if it has
// one, and until when, e.g. "Winter sale: 10% off with code WINTER10, until 31 January 2027
// 23:59 UTC."
func composeAnnouncement(p store.PromotionAnnouncement, loc *time.Location) announcement {
	offer := promotionOffer(p)
	how := "applied automatically at checkout"
	if p.Code != "" {
		how = "with code " + p.Code
	}
	until := ""
	if p.EndsAt != nil {
		until = ", until " + p.EndsAt.In(loc).Format("2 January 2006 15:04 MST")
	}
	line := fmt.Sprintf("%s: %s, %s%s.", p.Name, offer, how, until)
	m := announcement{Subject: "New promotion: " + p.Name, Text: line, Short: line}
	if p.Description != "" {
		m.Text += "\n\n" + p.Description
	}
	m.Text += "\n\nYou get this because you asked to hear of new promotions; change that in your account's marketing preferences."
	return m
}

// promotionOffer is what the promotion gives, in words: "10% off", "5.00 EUR off selected
// products", "free shipping on orders of 50.00 EUR or more".
func promotionOffer(p store.PromotionAnnouncement) string {
	var s string
	switch p.Kind {
	case "percent":
		s = formatBasisPoints(p.PercentBP) + " off"
	case "fixed":
		s = formatAmount(p.AmountCents, p.Currency) + " off"
	case "free_shipping":
		s = "free shipping"
	default:
		s = "a discount"
	}
	switch p.AppliesTo {
	case "products":
		s += " selected products"
	case "categories":
		s += " selected categories"
	}
	if p.MinSubtotalCents > 0 && p.Currency != "" {
		s += " on orders of " + formatAmount(p.MinSubtotalCents, p.Currency) + " or more"
	}
	return s
}

// formatBasisPoints writes 1000 as 10%, 1250 as 12.5%, 1234 as 12.34%.
func formatBasisPoints(bp int) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

// formatAmount writes minor units with their currency: 500 EUR is "5.00 EUR", and 500 JPY (a
// currency without minor units) "500 JPY".
func formatAmount(minor int64, currency string) string {
	switch currency {
	case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF":
		return fmt.Sprintf("%d %s", minor, currency)
	}
	return fmt.Sprintf("%d.%02d %s", minor/100, minor%100, currency)
}

func (a *Promotions) location() *time.Location {
	if a.Location != nil {
		return a.Location
	}
	return time.UTC
}

func (a *Promotions) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}
