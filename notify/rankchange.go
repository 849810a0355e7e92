package notify

import (
	"fmt"
	"html/template"
	"strings"
	"time"
)

// RankChangeKind is the kind of a rank-change digest; with the ranking period as period, its
// idempotency key makes one message per seller, hour and channel ever.
const RankChangeKind = "seller_rank_change"

// RankChange is what a rank-change digest says: where the seller stood when it last heard, and
// where the ranking of the window ending at PeriodEnd puts it.
type RankChange struct {
	StoreName string
	OldRank   int
	NewRank   int
	Of        int
	PeriodEnd time.Time
	Window    time.Duration // the ranking's trailing window, e.g. 24h
	RankURL   string
}

var rankChangeHTML = template.Must(template.New("rank").Parse(`<!doctype html>
<html><body style="font-family: sans-serif">
<p>Hello {{.StoreName}},</p>
<p>Your store is now <strong>#{{.NewRank}}</strong> of {{.Of}} sellers ({{.Direction}} from #{{.OldRank}}),
over the {{.Window}} to {{.End}}.</p>
{{if .RankURL}}<p><a href="{{.RankURL}}">See your rank overall and per category</a></p>{{end}}
</body></html>
`))

// ComposeRankChange writes a rank-change digest for email (HTML and plain text), in-app (the
// text) and SMS (short).
func ComposeRankChange(c RankChange) (subject, text, html, short string) {
	dir := "up"
	if c.NewRank > c.OldRank {
		dir = "down"
	}
	end := c.PeriodEnd.UTC().Format("2006-01-02 15:04 UTC")
	window := "ranking window" // windows are whole hours (config validation)
	if c.Window >= time.Hour {
		window = fmt.Sprintf("%d hours", c.Window/time.Hour)
	}
	subject = fmt.Sprintf("Your sales rank moved %s: #%d of %d", dir, c.NewRank, c.Of)
	text = fmt.Sprintf("Hello %s,\n\nYour store is now #%d of %d sellers (%s from #%d), over the %s to %s.\n",
		c.StoreName, c.NewRank, c.Of, dir, c.OldRank, window, end)
	if c.RankURL != "" {
		text += "\nSee your rank overall and per category: " + c.RankURL + "\n"
	}
	short = fmt.Sprintf("%s: now #%d of %d sellers (%s from #%d).", c.StoreName, c.NewRank, c.Of, dir, c.OldRank)
	var b strings.Builder
	err := rankChangeHTML.Execute(&b, struct {
		RankChange
		Direction, Window, End string
	}{c, dir, window, end})
	if err != nil {
		// The template and its data are ours: a failure is a bug; the text still informs.
		return subject, text, "<pre>" + template.HTMLEscapeString(text) + "</pre>", short
	}
	return subject, text, b.String(), short
}
