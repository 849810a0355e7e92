package store

import "testing"

func TestFormatScaled(t *testing.T) {
	for _, c := range []struct {
		n        int64
		decimals int
		want     string
	}{
		{190000, 4, "19"}, {88750, 4, "8.875"}, {1, 4, "0.0001"}, {0, 4, "0"}, {1000000, 4, "100"},
		{1250, 2, "12.5"}, {10000, 2, "100"}, {5, 2, "0.05"}, {-150, 2, "-1.5"},
	} {
		if got := FormatScaled(c.n, c.decimals); got != c.want {
			t.Errorf("FormatScaled(%d, %d) = %q, want %q", c.n, c.decimals, got, c.want)
		}
	}
}
