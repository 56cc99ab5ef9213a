package history

import "sort"

// Merge combines histories recorded separately (one per runner process in
// multi-process mode) into one, ordered by client time; ties keep the order
// of the arguments and, within one history, its own order. Events are
// renumbered from 0.
//
// Index order in a merged history is only as good as the clocks: judge it
// for linearizability with client time and a clock-error bound
// (check.LinearizableOptions.UseClientTime), not by index.
func Merge(histories ...[]Op) []Op {
	return MergeBy(func(o *Op) int64 { return o.Time }, histories...)
}

// MergeBy is Merge ordered by key: for simulated clients that recorded
// separately, key SimTime gives the true order (and then index order is
// sound for linearizability again).
func MergeBy(key func(*Op) int64, histories ...[]Op) []Op {
	type ref struct{ h, i int }
	var refs []ref
	for h, ops := range histories {
		for i := range ops {
			refs = append(refs, ref{h, i})
		}
	}
	sort.SliceStable(refs, func(a, b int) bool {
		return key(&histories[refs[a].h][refs[a].i]) < key(&histories[refs[b].h][refs[b].i])
	})
	out := make([]Op, len(refs))
	for n, r := range refs {
		out[n] = histories[r.h][r.i]
		out[n].Index = int64(n)
	}
	return out
}
