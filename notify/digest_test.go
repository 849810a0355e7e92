package notify

import (
	"strings"
	"testing"
)

func TestComposeDigestHasBothPartsAndChart(t *testing.T) {
	rank := 3
	d := SellerDigest{StoreName: `<script>alert(1)</script> & Co`, Date: "2026-11-20", Units: 10, PrevUnits: 12,
		Revenue: []Money{{"EUR", 12345}}, PrevRev: []Money{{"EUR", 100}},
		Rank:      &DigestRank{Overall: &rank, Of: 40, AsOf: "2026-11-21T00:05:00Z", Categories: []CategoryRank{{Name: "Garden", Rank: 1, Of: 5}}},
		ReportURL: "/api/v1/sellers/me/reports/2026-11-20"}
	for i := range 14 {
		d.Series = append(d.Series, DayUnits{Date: "d" + string(rune('a'+i)), Units: int64(i * 10)})
	}
	subject, text, html, short := ComposeDigest(d)
	if !strings.Contains(subject, "2026-11-20") {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{"Units: 10 (previous day 12, change -2)", "Revenue: 123.45 EUR (previous day 1.00 EUR)",
		"Rank: #3 of 40 sellers overall", "Garden: #1 of 5", "/api/v1/sellers/me/reports/2026-11-20", "dn  130"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(html, "<script>") {
		t.Error("store name not escaped in HTML")
	}
	// Bars scale to the busiest day: 130 units is the full width, 0 units a hairline.
	if !strings.Contains(html, `width="240"`) || !strings.Contains(html, `width="1"`) || strings.Count(html, `height="12"`) != 14 {
		t.Errorf("chart bars wrong:\n%s", html)
	}
	if !strings.Contains(short, "10 units (-2)") || len(short) > 160 {
		t.Errorf("short text %q", short)
	}
}

func TestComposeDigestWithoutRanking(t *testing.T) {
	_, text, html, _ := ComposeDigest(SellerDigest{Date: "2026-11-20"})
	if !strings.Contains(text, "no ranking is published") || !strings.Contains(html, "no ranking is published") {
		t.Errorf("absent ranking not said:\n%s", text)
	}
	if !strings.Contains(text, "Revenue: 0 (previous day 0)") {
		t.Errorf("no sales not said as 0:\n%s", text)
	}
	_, text, _, _ = ComposeDigest(SellerDigest{Date: "2026-11-20", Rank: &DigestRank{Of: 9, AsOf: "x"}})
	if !strings.Contains(text, "not ranked") || !strings.Contains(text, "9 sellers ranked") {
		t.Errorf("unranked seller not said:\n%s", text)
	}
}
