package check

import (
	"sort"

	"gonum.org/v1/gonum/stat"
)

// addPercentiles records p50, p90, p99 and max of xs as figures
// name_p50 ... name_max; nothing when xs is empty.
func addPercentiles(b *builder, name string, xs []float64) {
	if len(xs) == 0 {
		return
	}
	p := Summarize(xs)
	b.figure(name+"_p50", p.P50)
	b.figure(name+"_p90", p.P90)
	b.figure(name+"_p99", p.P99)
	b.figure(name+"_max", p.Max)
}

// Percentiles summarises a sample.
type Percentiles struct {
	N                  int
	P50, P90, P99, Max float64
}

// Summarize computes empirical quantiles (the smallest sample at or above
// each rank: a reported p99 is a latency that really occurred). It is the
// one definition of a percentile in reports; an empty sample gives N 0.
func Summarize(xs []float64) Percentiles {
	if len(xs) == 0 {
		return Percentiles{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	q := func(p float64) float64 { return stat.Quantile(p, stat.Empirical, s, nil) }
	return Percentiles{N: len(s), P50: q(0.5), P90: q(0.9), P99: q(0.99), Max: s[len(s)-1]}
}
