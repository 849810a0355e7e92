package notify

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Size of the digest chart in pixels: small enough for a phone's mail client at full width.
const (
	ChartWidthPx  = 560
	ChartHeightPx = 160
)

// chartBarColor fills the chart's bars: the blue of the HTML table chart.
var chartBarColor = color.RGBA{R: 0x3b, G: 0x7d, B: 0xd8, A: 0xff}

// DigestChartPNG draws series as a bar chart of units per day, oldest on the left, as a
// ChartWidthPx x ChartHeightPx PNG. The same series always gives the same bytes: nothing in the
// drawing depends on time, randomness or map order, so a rerun composes an identical message.
func DigestChartPNG(series []DayUnits) ([]byte, error) {
	if len(series) == 0 {
		return nil, errors.New("digest chart: no days to draw")
	}
	values := make(plotter.Values, len(series))
	labels := make([]string, len(series))
	var peak int64
	for i, d := range series {
		values[i] = float64(d.Units)
		labels[i] = dayLabel(d.Date)
		peak = max(peak, d.Units)
	}
	p := plot.New()
	p.BackgroundColor = color.White
	p.X.Tick.Label.Font.Size = vg.Points(8)
	p.Y.Tick.Label.Font.Size = vg.Points(8)
	p.NominalX(labels...)
	p.Y.Tick.Marker = wholeUnitTicks{}
	// Bars start at zero so they compare honestly; the headroom keeps the busiest day's bar off
	// the top edge, and an all-zero fortnight still gets a non-empty axis.
	p.Y.Min, p.Y.Max = 0, float64(max(peak, 1))*1.1

	// One point is one pixel at 72 dpi, so the sizes below are pixels.
	slot := vg.Length(ChartWidthPx) / vg.Length(len(series))
	bars, err := plotter.NewBarChart(values, slot*0.6)
	if err != nil {
		return nil, fmt.Errorf("digest chart: %w", err)
	}
	bars.Color = chartBarColor
	bars.LineStyle.Width = 0
	p.Add(bars)

	c := vgimg.NewWith(vgimg.UseWH(ChartWidthPx, ChartHeightPx), vgimg.UseDPI(72), vgimg.UseBackgroundColor(color.White))
	// Crop a few pixels so the last date label and the top tick label are not cut off.
	p.Draw(draw.Crop(draw.New(c), 2, -10, 2, -6))
	var buf bytes.Buffer
	if err := png.Encode(&buf, withPalette(c.Image())); err != nil {
		return nil, fmt.Errorf("digest chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// withPalette returns img as a paletted image of exactly its own colours when it has at most
// 256 (a chart of flat fills and antialiased edges has a few dozen), else img itself. The PNG
// is then lossless and about 40% smaller and faster to encode than RGB, which matters because
// each one is stored with its notification. The palette is in scan order, so the bytes stay
// deterministic.
func withPalette(img image.Image) image.Image {
	src, ok := img.(*image.RGBA)
	if !ok {
		return img
	}
	dst := image.NewPaletted(src.Rect, nil)
	index := map[color.RGBA]uint8{}
	var last color.RGBA
	var lastIndex uint8
	for y := src.Rect.Min.Y; y < src.Rect.Max.Y; y++ {
		for x := src.Rect.Min.X; x < src.Rect.Max.X; x++ {
			c := src.RGBAAt(x, y)
			if c != last || len(dst.Palette) == 0 {
				i, seen := index[c]
				if !seen {
					if len(dst.Palette) == 256 {
						return img
					}
					i = uint8(len(dst.Palette))
					index[c] = i
					dst.Palette = append(dst.Palette, c)
				}
				last, lastIndex = c, i
			}
			dst.Pix[dst.PixOffset(x, y)] = lastIndex
		}
	}
	return dst
}

// dayLabel shortens YYYY-MM-DD to MM-DD: the year is in the subject, and 14 full dates do not
// fit under the bars.
func dayLabel(date string) string {
	if len(date) == len("2006-01-02") {
		return date[5:]
	}
	return date
}

// wholeUnitTicks labels the units axis with whole numbers only: units are counts, and the
// default ticker writes 25.00.
type wholeUnitTicks struct{}

func (wholeUnitTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		switch {
		case t.Label == "":
		case t.Value == math.Trunc(t.Value):
			ticks[i].Label = strconv.FormatFloat(t.Value, 'f', 0, 64)
		default:
			ticks[i].Label = ""
		}
	}
	return ticks
}
