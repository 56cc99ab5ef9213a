package reliability

import (
	"sort"
	"strings"

	"rocketsim/reports/runs"
	"rocketsim/reports/stats"
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

// GroupLoss is one consumer group's share of seeds with loss.
type GroupLoss struct {
	Group         string         `json:"group"`
	SeedsWithLoss stats.Interval `json:"seeds_with_loss"`
	LostTotal     float64        `json:"lost_total"`
	LostMax       float64        `json:"lost_max"`
}

// groupLosses breaks the loss down by consumer group, over the runs that
// report delivery loss. The delivery checker lists "lost:G" only for a
// group that lost something, so a run without a group's key lost nothing
// there. The groups differ in what a loss means (the mq workload's
// sim-verify reads what the brokers kept; its regular group may also miss
// a message it read before a crash took it back), which is why the report
// shows them apart.
func groupLosses(rs []runs.Run) []GroupLoss {
	var n int
	lossy := map[string]int{}
	total := map[string]float64{}
	most := map[string]float64{}
	for i := range rs {
		m, ok := rs[i].Metrics["delivery"]
		if !ok {
			continue
		}
		if _, ok := m["lost"]; !ok {
			continue
		}
		n++
		for k, v := range m {
			g, found := strings.CutPrefix(k, "lost:")
			if !found {
				continue
			}
			total[g] += v
			most[g] = max(most[g], v)
			if v > 0 {
				lossy[g]++
			}
		}
	}
	groups := make([]string, 0, len(total))
	for g := range total {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	var out []GroupLoss
	for _, g := range groups {
		out = append(out, GroupLoss{Group: g, SeedsWithLoss: stats.Wilson(lossy[g], n, stats.Confidence), LostTotal: total[g], LostMax: most[g]})
	}
	return out
}
