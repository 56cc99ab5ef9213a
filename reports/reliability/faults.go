package reliability

import (
	"regexp"
	"sort"

	"rocketsim/reports/runs"
	"rocketsim/reports/stats"
)

// faultKindRe finds the kind in a fault as the simulator prints it
// ("   2.746s {kind: power-loss, nodes: [broker-a]}").
var faultKindRe = regexp.MustCompile(`\{kind: ([A-Za-z0-9_-]+)`)

// faultKinds counts faults by kind per run, over the runs that list any
// (a sweep's passing seeds do not): a run without a kind counts 0 for it.
func faultKinds(rs []runs.Run) []FaultKind {
	var perRun []map[string]int
	kinds := map[string]bool{}
	for i := range rs {
		if len(rs[i].Faults) == 0 {
			continue
		}
		m := map[string]int{}
		for _, f := range rs[i].Faults {
			if sub := faultKindRe.FindStringSubmatch(f); sub != nil {
				m[sub[1]]++
				kinds[sub[1]] = true
			}
		}
		perRun = append(perRun, m)
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []FaultKind
	for _, k := range names {
		xs := make([]float64, len(perRun))
		for i, m := range perRun {
			xs[i] = float64(m[k])
		}
		out = append(out, FaultKind{Kind: k, PerRun: stats.Summarize(xs)})
	}
	return out
}

// FaultLoss compares, for one kind of fault, the seeds it struck with the
// seeds it spared: in a scenario of random faults (a chaos sweep) this is
// what says which fault costs data.
type FaultLoss struct {
	Kind string `json:"kind"`
	// With and Without are the shares of seeds with any loss among the
	// runs with at least one such fault and among those with none, with
	// Wilson intervals.
	With    stats.Interval `json:"with"`
	Without stats.Interval `json:"without"`
}

// lossByFault splits the runs that list faults and report loss by each
// fault kind that struck some of them but not all.
func lossByFault(rs []runs.Run) []FaultLoss {
	type obs struct {
		kinds map[string]bool
		lossy bool
	}
	var seen []obs
	all := map[string]int{}
	for i := range rs {
		if len(rs[i].Faults) == 0 {
			continue
		}
		lost, _, _, ok := lossOf(&rs[i])
		if !ok {
			continue
		}
		o := obs{kinds: map[string]bool{}, lossy: lost > 0}
		for _, f := range rs[i].Faults {
			if sub := faultKindRe.FindStringSubmatch(f); sub != nil && !o.kinds[sub[1]] {
				o.kinds[sub[1]] = true
				all[sub[1]]++
			}
		}
		seen = append(seen, o)
	}
	var kinds []string
	for k, n := range all {
		if n < len(seen) { // a kind in every run splits nothing
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	var out []FaultLoss
	for _, k := range kinds {
		var withN, withK, withoutN, withoutK int
		for _, o := range seen {
			switch {
			case o.kinds[k] && o.lossy:
				withN, withK = withN+1, withK+1
			case o.kinds[k]:
				withN++
			case o.lossy:
				withoutN, withoutK = withoutN+1, withoutK+1
			default:
				withoutN++
			}
		}
		out = append(out, FaultLoss{Kind: k,
			With:    stats.Wilson(withK, withN, stats.Confidence),
			Without: stats.Wilson(withoutK, withoutN, stats.Confidence)})
	}
	return out
}
