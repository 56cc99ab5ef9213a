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
