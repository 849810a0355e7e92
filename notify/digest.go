package notify

import (
	"fmt"
	"html/template"
	"strings"
)

// DigestKind is the kind of the seller digest; with the report date as period, its
// idempotency key makes one digest per seller, day and channel ever.
const DigestKind = "seller_digest"

// SellerDigest is everything a seller's daily digest says. Money is per currency because a
// seller may sell in several and amounts in different currencies never add up.
type SellerDigest struct {
	StoreName string
	Date      string // the report day, YYYY-MM-DD
	Units     int64
	PrevUnits int64 // the day before Date
	Revenue   []Money
	PrevRev   []Money
	// Rank is the seller's standing in the current published ranking; nil when no ranking is
	// published, which the message says.
	Rank      *DigestRank
	ReportURL string
	// Series is the units of each of the 14 days ending at Date, oldest first.
	Series []DayUnits
}

// Money is an amount in one currency's minor units.
type Money struct {
	Currency string
	Cents    int64
}

// DayUnits is one bar of the digest's chart.
type DayUnits struct {
	Date  string
	Units int64
}

// DigestRank is a seller's place overall and per category. Overall is nil for a seller that
// sold nothing in the ranking window.
type DigestRank struct {
	Overall    *int
	Of         int
	Categories []CategoryRank
	AsOf       string // when the ranking was computed, RFC 3339
}

// CategoryRank is a seller's place within one category.
type CategoryRank struct {
	Name string
	Rank int
	Of   int
}

// DigestMessage is a seller's digest written for every channel.
type DigestMessage struct {
	Subject string
	// Text is the email's plain-text alternative and the in-app body.
	Text string
	// HTML shows the 14-day chart as <img src="cid:..."> of Inline, with the numbers as text so
	// it reads the same when images are blocked.
	HTML string
	// Short is the SMS.
	Short string
	// Inline is the chart as a PNG; it belongs on the email request only. Empty when the
	// digest has no days to chart.
	Inline []InlineImage
}

// ComposeDigestMessage writes the digest as an email (HTML with a plain-text alternative
// carrying the same numbers, and the 14-day chart as an inline PNG the HTML refers to by
// Content-ID) and as a short text for SMS. The same digest always gives the same message,
// image bytes included. The error says the chart could not be drawn; it is a bug, not a state
// retrying fixes.
func ComposeDigestMessage(d SellerDigest) (DigestMessage, error) {
	if len(d.Series) == 0 {
		subject, text, html, short := composeDigest(d, nil)
		return DigestMessage{Subject: subject, Text: text, HTML: html, Short: short}, nil
	}
	png, err := DigestChartPNG(d.Series)
	if err != nil {
		return DigestMessage{}, fmt.Errorf("digest of %s on %s: %w", d.StoreName, d.Date, err)
	}
	chart := InlineImage{ContentID: "digest-chart-" + d.Date + "@shopflow", ContentType: "image/png",
		Filename: "sales-" + d.Date + ".png", Data: png}
	subject, text, html, short := composeDigest(d, &chart)
	return DigestMessage{Subject: subject, Text: text, HTML: html, Short: short, Inline: []InlineImage{chart}}, nil
}

// ComposeDigest writes the digest like ComposeDigestMessage but with no image: the 14-day chart
// is an HTML table whose cell widths are the bars, for a sender that cannot carry inline images.
func ComposeDigest(d SellerDigest) (subject, text, html, short string) {
	return composeDigest(d, nil)
}

// chartWidth is the widest bar of the HTML table chart, in pixels.
const chartWidth = 240

// composeDigest writes the digest with the chart as chart's image, or as table bars when chart
// is nil.
func composeDigest(d SellerDigest, chart *InlineImage) (subject, text, html, short string) {
	subject = fmt.Sprintf("Your Shopflow sales for %s", d.Date)
	text = digestText(d)
	var b strings.Builder
	if err := digestHTML.Execute(&b, digestView(d, chart)); err != nil {
		// The template and its data are ours; a failure is a programming error. Fall back to
		// text rather than lose the message.
		html = "<pre>" + template.HTMLEscapeString(text) + "</pre>"
	} else {
		html = b.String()
	}
	short = fmt.Sprintf("Shopflow %s: %d units (%s), revenue %s. Report: %s",
		d.Date, d.Units, signed(d.Units-d.PrevUnits), formatMoney(d.Revenue), d.ReportURL)
	return subject, text, html, short
}

func digestText(d SellerDigest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Sales of %s on %s\n\n", d.StoreName, d.Date)
	fmt.Fprintf(&b, "Units: %d (previous day %d, change %s)\n", d.Units, d.PrevUnits, signed(d.Units-d.PrevUnits))
	fmt.Fprintf(&b, "Revenue: %s (previous day %s)\n", formatMoney(d.Revenue), formatMoney(d.PrevRev))
	b.WriteString("\n" + rankText(d.Rank) + "\n")
	for _, c := range rankCategories(d.Rank) {
		fmt.Fprintf(&b, "  %s: #%d of %d\n", c.Name, c.Rank, c.Of)
	}
	b.WriteString("\nLast 14 days (units):\n")
	for _, p := range d.Series {
		fmt.Fprintf(&b, "  %s  %d\n", p.Date, p.Units)
	}
	fmt.Fprintf(&b, "\nYour report: %s\n", d.ReportURL)
	return b.String()
}

func rankText(r *DigestRank) string {
	switch {
	case r == nil:
		return "Rank: no ranking is published yet."
	case r.Overall == nil:
		return fmt.Sprintf("Rank: not ranked (no sales in the ranking window; %d sellers ranked, as of %s).", r.Of, r.AsOf)
	}
	return fmt.Sprintf("Rank: #%d of %d sellers overall (as of %s).", *r.Overall, r.Of, r.AsOf)
}

func rankCategories(r *DigestRank) []CategoryRank {
	if r == nil {
		return nil
	}
	return r.Categories
}

type chartBar struct {
	Date  string
	Units int64
	Width int // pixels, at least 1 so a zero day still shows a line
}

type digestPage struct {
	SellerDigest
	Change     string
	RevenueStr string
	PrevStr    string
	RankLine   string
	Categories []CategoryRank
	Bars       []chartBar
	// ChartCID, when set, shows the chart as that inline image instead of table bars.
	ChartCID                string
	ChartAlt                string
	ChartWidth, ChartHeight int
}

func digestView(d SellerDigest, chart *InlineImage) digestPage {
	var peak int64
	busiest := 0
	for i, p := range d.Series {
		if p.Units > peak {
			peak, busiest = p.Units, i
		}
	}
	bars := make([]chartBar, len(d.Series))
	for i, p := range d.Series {
		w := 1
		if peak > 0 {
			w = max(1, int(p.Units*chartWidth/peak))
		}
		bars[i] = chartBar{Date: p.Date, Units: p.Units, Width: w}
	}
	page := digestPage{SellerDigest: d, Change: signed(d.Units - d.PrevUnits), RevenueStr: formatMoney(d.Revenue),
		PrevStr: formatMoney(d.PrevRev), RankLine: rankText(d.Rank), Categories: rankCategories(d.Rank), Bars: bars}
	if chart != nil && len(d.Series) > 0 {
		page.ChartCID, page.ChartWidth, page.ChartHeight = chart.ContentID, ChartWidthPx, ChartHeightPx
		// The alt text is what a client that blocks images shows: say what the chart shows.
		page.ChartAlt = fmt.Sprintf("Bar chart of units sold per day, %s to %s; busiest day %s with %d units.",
			d.Series[0].Date, d.Series[len(d.Series)-1].Date, d.Series[busiest].Date, peak)
	}
	return page
}

var digestHTML = template.Must(template.New("digest").Parse(`<!DOCTYPE html>
<html><body style="font-family:Arial,sans-serif;color:#222">
<h2>Sales of {{.StoreName}} on {{.Date}}</h2>
<table cellpadding="4">
<tr><td>Units</td><td><b>{{.Units}}</b> (previous day {{.PrevUnits}}, change {{.Change}})</td></tr>
<tr><td>Revenue</td><td><b>{{.RevenueStr}}</b> (previous day {{.PrevStr}})</td></tr>
</table>
<p>{{.RankLine}}</p>
{{if .Categories}}<table cellpadding="3">{{range .Categories}}
<tr><td>{{.Name}}</td><td>#{{.Rank}} of {{.Of}}</td></tr>{{end}}
</table>{{end}}
<h3>Last 14 days (units)</h3>
{{if .ChartCID}}<p><img src="cid:{{.ChartCID}}" width="{{.ChartWidth}}" height="{{.ChartHeight}}" alt="{{.ChartAlt}}" style="display:block;border:0;max-width:100%;height:auto"></p>
<table cellspacing="0" cellpadding="1" style="font-size:12px">{{range .Bars}}
<tr><td>{{.Date}}</td><td align="right">{{.Units}}</td></tr>{{end}}
</table>{{else}}<table cellspacing="0" cellpadding="1" style="font-size:12px">{{range .Bars}}
<tr><td>{{.Date}}</td><td><table cellspacing="0" cellpadding="0"><tr><td width="{{.Width}}" height="12" style="background:#3b7dd8;width:{{.Width}}px"></td></tr></table></td><td>{{.Units}}</td></tr>{{end}}
</table>{{end}}
<p><a href="{{.ReportURL}}">Download your report for {{.Date}}</a></p>
</body></html>
`))

// formatMoney writes amounts as 12.34 EUR, several joined by " + "; none is 0.
func formatMoney(ms []Money) string {
	if len(ms) == 0 {
		return "0"
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = fmt.Sprintf("%d.%02d %s", m.Cents/100, m.Cents%100, m.Currency)
	}
	return strings.Join(parts, " + ")
}

func signed(n int64) string {
	if n > 0 {
		return fmt.Sprintf("+%d", n)
	}
	return fmt.Sprint(n)
}
