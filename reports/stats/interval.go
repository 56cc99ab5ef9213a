// Package stats holds the arithmetic of reliability reports: summaries of a
// metric over seeds and confidence intervals for rates and means.
//
// The unit of replication is the seed. Runs of one scenario with different
// seeds are independent draws of the fault schedule and of every random
// choice; the messages inside one run are not (one power loss takes a whole
// unflushed tail), so intervals are taken over seeds, never over messages
// pooled from several runs.
package stats

import (
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Confidence is the coverage of every interval in a report.
const Confidence = 0.95

// Interval is a confidence interval around an estimate. A zero N means
// there was nothing to estimate from; Lo and Hi are NaN when the sample is
// too small for the method (a t-interval needs two values).
type Interval struct {
	Estimate float64 `json:"estimate"`
	Lo       float64 `json:"lo"`
	Hi       float64 `json:"hi"`
	N        int     `json:"n"`
}

// Defined says whether the interval has both ends.
func (iv Interval) Defined() bool {
	return iv.N > 0 && !math.IsNaN(iv.Lo) && !math.IsNaN(iv.Hi)
}

// Wilson is the Wilson score interval for a proportion: k successes in n
// independent trials, at the given confidence (e.g. 0.95).
//
// Why Wilson: the events we rate are rare ("seeds that lost a message" is
// often 0 of 20 or 1 of 20). The textbook Wald interval p ± z·sqrt(p(1-p)/n)
// collapses to [0, 0] at k = 0, claiming certainty that no run ever loses
// data; Wilson's stays inside [0, 1], is not degenerate at 0 or n, and keeps
// close to its nominal coverage for small n, which is the regime of a seed
// sweep. (Clopper-Pearson would be more conservative still; Wilson is the
// usual recommendation, after Brown, Cai and DasGupta 2001.)
func Wilson(k, n int, confidence float64) Interval {
	if k < 0 || n < 0 || k > n {
		panic("stats.Wilson: want 0 <= k <= n")
	}
	if n == 0 {
		return Interval{Estimate: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	z := distuv.UnitNormal.Quantile(1 - (1-confidence)/2)
	nf := float64(n)
	p := float64(k) / nf
	z2 := z * z
	denom := 1 + z2/nf
	center := (p + z2/(2*nf)) / denom
	half := z / denom * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	lo, hi := center-half, center+half
	// The formula gives exactly 0 and 1 at k = 0 and k = n up to rounding;
	// clamp so a printed bound never reads -0.0000 or 1.0000001.
	if k == 0 {
		lo = 0
	}
	if k == n {
		hi = 1
	}
	return Interval{Estimate: p, Lo: max(lo, 0), Hi: min(hi, 1), N: n}
}

// MeanT is the mean of xs with Student's t-interval at the given
// confidence.
//
// Why a t-interval: per-seed figures such as "lost messages per
// acknowledged send" are means over a few dozen seeds with unknown
// variance; t accounts for estimating that variance from the sample. It is
// deterministic, unlike a bootstrap, so the same runs always give the same
// report bytes. Loss per seed is skewed (most seeds lose nothing), so the
// t-interval is approximate for small n; bounds are clamped to [lower,
// +Inf) by the caller's knowledge of the domain (see MeanTNonNegative).
func MeanT(xs []float64, confidence float64) Interval {
	n := len(xs)
	if n == 0 {
		return Interval{Estimate: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	if n < 2 {
		return Interval{Estimate: mean, Lo: math.NaN(), Hi: math.NaN(), N: n}
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(1 - (1-confidence)/2)
	half := t * sd / math.Sqrt(float64(n))
	return Interval{Estimate: mean, Lo: mean - half, Hi: mean + half, N: n}
}

// MeanTNonNegative is MeanT for a quantity that cannot be negative (a
// count, a rate): the lower bound is clamped at 0.
func MeanTNonNegative(xs []float64, confidence float64) Interval {
	iv := MeanT(xs, confidence)
	if iv.Defined() {
		iv.Lo = max(iv.Lo, 0)
	}
	return iv
}

// CleanRunsFor is how many runs, all without the event, make the Wilson
// upper bound fall below bound at the given confidence: at k = 0 the upper
// bound is z²/(n+z²), below bound once n > z²(1-bound)/bound. It answers
// "how many clean seeds before we may claim loss is rarer than 1 in 20?"
// (73 at 95%).
func CleanRunsFor(bound, confidence float64) int {
	if bound <= 0 || bound >= 1 {
		panic("stats.CleanRunsFor: want 0 < bound < 1")
	}
	z := distuv.UnitNormal.Quantile(1 - (1-confidence)/2)
	return int(math.Floor(z*z*(1-bound)/bound)) + 1
}
