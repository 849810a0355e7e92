package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"shopflow/notify"
	"shopflow/store"
)

// composer writes one seller's message; false skips the seller.
type composer func(sellerID string) (store.DigestSeller, composedDigest, bool)

// sendEach is the loop every kind of digest shares: resume where a previous attempt's
// checkpoint says (heartbeat details), load what the rest of the slice needs in one go
// (prepare), then compose and send seller by seller under kind, heartbeating the checkpoint.
// Sends that failed transiently fail the activity at the end, so Temporal retries it.
func (a *Digest) sendEach(ctx context.Context, in SendDigestsInput, kind string, prepare func(ids []string) (composer, error)) (SendDigestsResult, error) {
	var cp digestCheckpoint
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		var prev digestCheckpoint
		if activity.GetHeartbeatDetails(ctx, &prev) == nil && prev.Done <= len(in.SellerIDs) {
			cp = prev
		}
	}
	res := cp.Totals
	compose, err := prepare(in.SellerIDs[cp.Done:])
	if err != nil {
		return res, err
	}
	// The checkpoint stops before the first seller with a transient failure: the retry starts
	// there, and the sellers after it (sent again) find their keys settled and count as
	// duplicates. Were it to move past that seller, the retry would find nothing left to send
	// and fail again with the same count, for ever.
	failed := false
	for _, sid := range in.SellerIDs[cp.Done:] {
		s, msg, ok := compose(sid)
		if ok {
			retries := res.Retry
			if err := a.send(ctx, s, kind, in.Period, msg, &res); err != nil {
				return res, err
			}
			res.Sellers++
			failed = failed || res.Retry > retries
		}
		if !failed {
			cp.Done, cp.Totals = cp.Done+1, res
		}
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, cp)
		}
	}
	if res.Retry > 0 {
		return res, temporal.NewApplicationError(fmt.Sprintf("%d %s sends failed transiently", res.Retry, kind), ErrDigestRetry)
	}
	return res, nil
}

// digestCheckpoint is how far a SendDigests attempt got: the sellers of the slice fully done
// (every channel settled) and the counts up to there.
type digestCheckpoint struct {
	Done   int
	Totals SendDigestsResult
}

// composedDigest is one digest message, ready for every channel.
type composedDigest struct {
	Subject, Text, HTML string
	Short               string // the SMS
	Inline              []notify.InlineImage
}

// send sends msg to the seller on each channel it chose, under key
// <seller user id>:<kind>:<period>:<channel>, and counts the outcome in res.
func (a *Digest) send(ctx context.Context, s store.DigestSeller, kind, period string, msg composedDigest, res *SendDigestsResult) error {
	email := s.Prefs.Email
	if email == "" {
		email = s.AccountEmail
	}
	for _, ch := range []string{store.ChannelInApp, store.ChannelEmail, store.ChannelSMS} { // fixed order
		if !slices.Contains(s.Prefs.Channels, ch) {
			continue
		}
		req := notify.Request{Key: notify.Key(s.UserID, kind, period, ch), RecipientID: s.UserID,
			Channel: ch, Kind: kind, Subject: msg.Subject, Text: msg.Text}
		switch ch {
		case store.ChannelEmail:
			req.To, req.HTML, req.Inline = email, msg.HTML, msg.Inline
		case store.ChannelSMS:
			req.To, req.Text = s.Prefs.Phone, msg.Short
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
			return fmt.Errorf("digest of seller %s on %s: %w", s.ID, ch, err)
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

func (a *Digest) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}
