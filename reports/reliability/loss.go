package reliability

import (
	"sort"
	"strings"

	"rocketsim/reports/runs"
)

// lossSource says where a workload reports acknowledged and lost messages.
type lossSource struct {
	checker, lost, acked string
	// perGroup: the checker also reports "lost:GROUP" per consumer group;
	// the worst group is taken (see lossOf).
	perGroup bool
}

// lossSources are tried in order. The mq workload's delivery checker
// counts per consumer group; the pingpong workload's durability check
// counts what the server kept.
var lossSources = []lossSource{
	{checker: "delivery", lost: "lost", acked: "acknowledged", perGroup: true},
	{checker: "durability", lost: "lost", acked: "acked"},
}

// lossOf returns a run's lost and acknowledged messages and the metric
// they came from; ok is false when the run reports neither.
//
// With several consumer groups, delivery's "lost" is the sum over groups,
// so one message missed by two groups counts twice and lost/acknowledged
// can exceed 1. The worst group's count is used instead: it is the number
// of acknowledged messages that one application reading the topic never
// saw, a lower bound on the distinct messages lost, and on the same scale
// as "acknowledged".
func lossOf(r *runs.Run) (lost, acked float64, metric string, ok bool) {
	for _, s := range lossSources {
		m, has := r.Metrics[s.checker]
		if !has {
			continue
		}
		l, hasLost := m[s.lost]
		a, hasAcked := m[s.acked]
		if !hasLost || !hasAcked {
			continue
		}
		metric = s.checker + "." + s.lost
		if s.perGroup {
			var groups []string
			for k := range m {
				if strings.HasPrefix(k, s.lost+":") {
					groups = append(groups, k)
				}
			}
			if len(groups) > 0 {
				sort.Strings(groups)
				worst := m[groups[0]]
				for _, g := range groups[1:] {
					worst = max(worst, m[g])
				}
				l = worst
			}
			// With nothing lost every group's count is 0 too (per-group
			// counts are only listed when non-zero), so the label holds.
			if len(groups) > 0 || l == 0 {
				metric = s.checker + "." + s.lost + " (worst group)"
			}
		}
		return l, a, metric, true
	}
	return 0, 0, "", false
}
