package notify_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"testing"

	"shopflow/notify"
)

// fortnight is 14 days ending 2026-11-20 with the given units, oldest first.
func fortnight(units ...int64) []notify.DayUnits {
	s := make([]notify.DayUnits, len(units))
	for i, u := range units {
		s[i] = notify.DayUnits{Date: fmt.Sprintf("2026-11-%02d", 7+i), Units: u}
	}
	return s
}

// TestDigestChartPNGBarsFollowUnits decodes the chart and measures its bars from the pixels:
// 14 bars left to right in date order, the busiest day's the tallest, a bigger day never shorter.
func TestDigestChartPNGBarsFollowUnits(t *testing.T) {
	t.Parallel()
	units := []int64{3, 10, 25, 7, 14, 30, 19, 5, 61, 22, 9, 40, 12, 17}
	b, err := notify.DigestChartPNG(fortnight(units...))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if got := img.Bounds().Size(); got != image.Pt(notify.ChartWidthPx, notify.ChartHeightPx) {
		t.Fatalf("chart is %v, want %dx%d", got, notify.ChartWidthPx, notify.ChartHeightPx)
	}
	heights := barHeights(img)
	if len(heights) != len(units) {
		t.Fatalf("found %d bars (heights %v), want %d", len(heights), heights, len(units))
	}
	busiest := slices.Index(units, slices.Max(units))
	if tallest := slices.Index(heights, slices.Max(heights)); tallest != busiest {
		t.Errorf("tallest bar is #%d (heights %v), want #%d, the day with %d units", tallest, heights, busiest, units[busiest])
	}
	for i := range units {
		for j := range units {
			if units[i] > units[j] && heights[i] < heights[j] {
				t.Errorf("day %d (%d units) is %d px, shorter than day %d (%d units) at %d px",
					i, units[i], heights[i], j, units[j], heights[j])
			}
		}
	}
}

// barHeights finds the bars as runs of pixel columns holding the bar colour (the commonest
// colour that is not a grey: background, axes and labels are black on white) and returns, left
// to right, the number of bar-coloured pixels in each run's middle column.
func barHeights(img image.Image) []int {
	r := img.Bounds()
	count := map[color.Color]int{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			count[img.At(x, y)]++
		}
	}
	var bar color.Color
	for c, n := range count {
		cr, cg, cb, _ := c.RGBA()
		if grey := cr == cg && cg == cb; !grey && (bar == nil || n > count[bar]) {
			bar = c
		}
	}
	if bar == nil {
		return nil
	}
	barPixels := func(x int) int {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			if img.At(x, y) == bar {
				n++
			}
		}
		return n
	}
	var heights []int
	for x := r.Min.X; x < r.Max.X; {
		if barPixels(x) == 0 {
			x++
			continue
		}
		start := x
		for x < r.Max.X && barPixels(x) > 0 {
			x++
		}
		heights = append(heights, barPixels((start+x)/2))
	}
	return heights
}

func TestDigestChartPNGIsDeterministic(t *testing.T) {
	t.Parallel()
	series := fortnight(3, 10, 25, 7, 14, 30, 19, 5, 61, 22, 9, 40, 12, 17)
	first, err := notify.DigestChartPNG(series)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := notify.DigestChartPNG(slices.Clone(series))
		if err != nil || !bytes.Equal(first, again) {
			t.Fatalf("the same series drew different bytes (%d vs %d, %v)", len(first), len(again), err)
		}
	}
	series[0].Units++
	other, err := notify.DigestChartPNG(series)
	if err != nil || bytes.Equal(first, other) {
		t.Fatalf("a different series drew the same bytes (%v)", err)
	}
}

func TestDigestChartPNGEdges(t *testing.T) {
	t.Parallel()
	if _, err := notify.DigestChartPNG(nil); err == nil {
		t.Error("an empty series drew a chart")
	}
	// A fortnight without sales is still a chart (an axis, no bars), not an error.
	b, err := notify.DigestChartPNG(fortnight(make([]int64, 14)...))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if h := barHeights(img); len(h) != 0 {
		t.Errorf("zero days drew bars %v", h)
	}
}

// TestComposeDigestMessageReferencesItsChart proves the HTML shows the inline image by its
// Content-ID, says what it shows in alt text and keeps every day's number as text.
func TestComposeDigestMessageReferencesItsChart(t *testing.T) {
	t.Parallel()
	d := notify.SellerDigest{StoreName: "Acme", Date: "2026-11-20", Units: 17, PrevUnits: 12,
		Revenue: []notify.Money{{Currency: "EUR", Cents: 4200}}, ReportURL: "/api/v1/sellers/me/reports/2026-11-20",
		Series: fortnight(3, 10, 25, 7, 14, 30, 19, 5, 61, 22, 9, 40, 12, 17)}
	m, err := notify.ComposeDigestMessage(d)
	if err != nil {
		t.Fatal(err)
	}
	subject, text, _, short := notify.ComposeDigest(d)
	if m.Subject != subject || m.Text != text || m.Short != short {
		t.Errorf("subject, text or SMS differ from ComposeDigest's")
	}
	if len(m.Inline) != 1 || m.Inline[0].ContentType != "image/png" || m.Inline[0].ContentID == "" {
		t.Fatalf("inline images %+v, want one PNG with a content id", m.Inline)
	}
	chart, err := notify.DigestChartPNG(d.Series)
	if err != nil || !bytes.Equal(m.Inline[0].Data, chart) {
		t.Errorf("inline image is not DigestChartPNG of the series (%v)", err)
	}
	for _, want := range []string{`src="cid:` + m.Inline[0].ContentID + `"`,
		`alt="Bar chart of units sold per day, 2026-11-07 to 2026-11-20; busiest day 2026-11-15 with 61 units."`,
		"<td>2026-11-15</td><td align=\"right\">61</td>", "<td>2026-11-20</td><td align=\"right\">17</td>"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML lacks %s:\n%s", want, m.HTML)
		}
	}
	if strings.Contains(m.HTML, `height="12"`) {
		t.Error("HTML still draws table bars next to the image")
	}
	again, err := notify.ComposeDigestMessage(d)
	if err != nil || again.HTML != m.HTML || !bytes.Equal(again.Inline[0].Data, m.Inline[0].Data) {
		t.Errorf("composing the same digest twice gave different messages (%v)", err)
	}

	empty, err := notify.ComposeDigestMessage(notify.SellerDigest{Date: "2026-11-20"})
	if err != nil || len(empty.Inline) != 0 || strings.Contains(empty.HTML, "cid:") {
		t.Errorf("a digest without days: %d images, %v, html:\n%s", len(empty.Inline), err, empty.HTML)
	}
}
