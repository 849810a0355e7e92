package pricing

import "math/bits"

// mulDivRound is a × b / c rounded half up, for non-negative a, b and positive c, without
// overflowing in between: a line of 10^14 minor units times a rate of 10^6 does not fit int64.
func mulDivRound(a, b, c int64) int64 {
	q, r := mulDiv(a, b, c)
	if 2*r >= uint64(c) {
		q++
	}
	return int64(q)
}

// mulDivFloor is a × b / c rounded down, with the remainder.
func mulDivFloor(a, b, c int64) (int64, int64) {
	q, r := mulDiv(a, b, c)
	return int64(q), int64(r)
}

func mulDiv(a, b, c int64) (q, r uint64) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		// Only when the quotient overflows 64 bits, which the amounts' bounds rule out.
		panic("pricing: amount out of range")
	}
	return bits.Div64(hi, lo, uint64(c))
}
