package stats

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Summary describes one metric over the seeds of a scenario, or a pooled
// sample such as every send latency of every seed.
type Summary struct {
	N      int     `json:"n"`
	Mean   float64 `json:"mean"`
	Median float64 `json:"median"`
	P95    float64 `json:"p95"`
	P99    float64 `json:"p99"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// Summarize computes a Summary. Quantiles are empirical, the definition
// jepsen/check.Summarize uses for every percentile in reports: the
// smallest sample at or above the rank, so a reported p99 or median is a
// value that really occurred (for an even count the median is the lower
// middle value, not an average of two). An empty sample gives N 0 and NaN
// figures.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		nan := math.NaN()
		return Summary{Mean: nan, Median: nan, P95: nan, P99: nan, Min: nan, Max: nan}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	q := func(p float64) float64 { return stat.Quantile(p, stat.Empirical, s, nil) }
	return Summary{
		N:      len(s),
		Mean:   stat.Mean(s, nil),
		Median: q(0.5),
		P95:    q(0.95),
		P99:    q(0.99),
		Min:    s[0],
		Max:    s[len(s)-1],
	}
}

// Quantile is the empirical p-quantile of xs (see Summarize); NaN when xs
// is empty.
func Quantile(p float64, xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return stat.Quantile(p, stat.Empirical, s, nil)
}

// ECDF returns the points of xs's empirical distribution function: the
// sorted values and, for each, the share of the sample at or below it.
// Ties are merged into one step. At most maxPoints points are returned
// (evenly spaced by rank, the last always kept) so a plot of a million
// latencies stays small.
func ECDF(xs []float64, maxPoints int) (values, shares []float64) {
	if len(xs) == 0 {
		return nil, nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := float64(len(s))
	for i := 0; i < len(s); i++ {
		if i+1 < len(s) && s[i+1] == s[i] {
			continue // the step is at the last of equal values
		}
		values = append(values, s[i])
		shares = append(shares, float64(i+1)/n)
	}
	if maxPoints > 1 && len(values) > maxPoints {
		var v, sh []float64
		step := float64(len(values)-1) / float64(maxPoints-1)
		for j := 0; j < maxPoints; j++ {
			i := int(math.Round(float64(j) * step))
			v, sh = append(v, values[i]), append(sh, shares[i])
		}
		values, shares = v, sh
	}
	return values, shares
}
