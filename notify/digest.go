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

// chartWidth is the widest bar of the HTML chart, in pixels.
const chartWidth = 240

// ComposeDigest writes the digest as an email (HTML with a plain-text alternative carrying the
// same numbers) and as a short text for SMS. notify's Email sends HTML and text parts but no
// attachments or inline images, so the 14-day chart is an HTML table whose cell widths are the
// bars: it needs no image and renders in every mail client.
func ComposeDigest(d SellerDigest) (subject, text, html, short string) {
	subject = fmt.Sprintf("Your Shopflow sales for %s", d.Date)
	text = digestText(d)
	var b strings.Builder
	if err := digestHTML.Execute(&b, digestView(d)); err != nil {
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
}

func digestView(d SellerDigest) digestPage {
	var peak int64
	for _, p := range d.Series {
		peak = max(peak, p.Units)
	}
	bars := make([]chartBar, len(d.Series))
	for i, p := range d.Series {
		w := 1
		if peak > 0 {
			w = max(1, int(p.Units*chartWidth/peak))
		}
		bars[i] = chartBar{Date: p.Date, Units: p.Units, Width: w}
	}
	return digestPage{SellerDigest: d, Change: signed(d.Units - d.PrevUnits), RevenueStr: formatMoney(d.Revenue),
		PrevStr: formatMoney(d.PrevRev), RankLine: rankText(d.Rank), Categories: rankCategories(d.Rank), Bars: bars}
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
<table cellspacing="0" cellpadding="1" style="font-size:12px">{{range .Bars}}
<tr><td>{{.Date}}</td><td><table cellspacing="0" cellpadding="0"><tr><td width="{{.Width}}" height="12" style="background:#3b7dd8;width:{{.Width}}px"></td></tr></table></td><td>{{.Units}}</td></tr>{{end}}
</table>
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
