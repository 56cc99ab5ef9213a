package render

import (
	"math"
	"strconv"
)

// noData stands for a figure no run measured: never 0, which would read as
// a measurement.
const noData = "—"

// num renders a figure with about three significant digits and no
// exponent, so tables align and read as quantities: 12345 -> "12345",
// 12.345 -> "12.3", 0.012345 -> "0.0123", 7 -> "7".
func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return noData
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'f', decimals(f), 64)
}

// pct renders a share in [0, 1] as a percentage with about three
// significant digits: 0.5 -> "50.0%", 0.000123 -> "0.0123%", 1 -> "100%",
// 0.9996 -> "99.96%".
func pct(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return noData
	}
	p := f * 100
	if p == 0 || p == 100 {
		return strconv.FormatFloat(p, 'f', 0, 64) + "%"
	}
	d := max(1, decimals(p))
	if p > 99 && p < 100 {
		// Near 100% the complement is the news: 99.96% is not 100.0%
		// (availability's "nines"). Show its first significant digit.
		d = min(max(d, -int(math.Floor(math.Log10(100-p)))), 6)
	}
	return strconv.FormatFloat(p, 'f', d, 64) + "%"
}

// decimals gives three significant digits, at most maxDecimals places.
func decimals(f float64) int {
	const maxDecimals = 6
	a := math.Abs(f)
	if a == 0 {
		return 0
	}
	d := 2 - int(math.Floor(math.Log10(a)))
	return min(max(d, 0), maxDecimals)
}
