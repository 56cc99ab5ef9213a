package check

import (
	"fmt"

	"rocketsim/jepsen/history"
)

// OrderingOptions configures the ordering checker.
type OrderingOptions struct {
	// FIFOGroups are checked for FIFO delivery per queue; nil checks every
	// group. Leave out groups whose listener runs concurrently: a consume
	// thread pool hands messages to the application out of queue order by
	// design.
	FIFOGroups []string `yaml:"fifo_groups" json:"fifo_groups,omitempty"`
	// OrderlyGroups consume orderly: per sharding key, messages arrive in
	// send order with no gaps. nil checks no group.
	OrderlyGroups []string `yaml:"orderly_groups" json:"orderly_groups,omitempty"`
}

// Ordering checks two things.
//
// FIFO per queue: each consumer sees one queue's offsets in increasing
// order. Seeing an offset again that the group already received (a consumer
// that restarted from the committed offset, or a rebalance) is a
// redelivery, counted but not a reordering; seeing an offset lower than one
// already seen, which the group had never received, is a reordering.
// Retries (reconsume > 0, from the group's retry topic) are not in queue
// order and are skipped; gaps are the delivery checker's business.
//
// Order per sharding key, for orderly groups: the acknowledged sends of one
// key (and unknown-outcome sends the group did receive), in invoke order,
// must be delivered in that order: a message delivered after a later one of
// its key is a reordering; skipping one (a later one delivered while an
// earlier one never was, and was not dead-lettered) is a gap. Delivering an
// earlier message again is a redelivery.
func Ordering(ops []history.Op, opt OrderingOptions) Result {
	b := newBuilder("ordering")
	b.ensure(countNames["ordering"]...)
	ms, err := indexMessages(ops)
	if err != nil {
		b.fail(err.Error())
		return b.result()
	}
	fifo := groupFilter(opt.FIFOGroups, true)
	orderly := groupFilter(opt.OrderlyGroups, false)

	// FIFO per (group, consumer, queue), in history order.
	type cq struct{ group, process, queue string }
	high := map[cq]*history.Op{}        // highest offset received
	seen := map[string]map[int64]bool{} // group+queue -> offsets received
	queues := map[string]bool{}
	for _, o := range ms.ops {
		op := o.Op()
		if op.F != history.FReceive || o.Type() != history.OK || op.Queue == nil || op.Offset == nil ||
			op.Reconsume > 0 || isSystemTopic(op.Topic) || !fifo(op.Group) {
			continue
		}
		qk := op.QueueKey()
		queues[qk] = true
		k := cq{op.Group, op.Process, qk}
		gq := op.Group + "\x00" + qk
		if seen[gq] == nil {
			seen[gq] = map[int64]bool{}
		}
		off := *op.Offset
		if h := high[k]; h != nil && off <= *h.Offset {
			if seen[gq][off] {
				b.add("redeliveries", 1)
			} else {
				b.anomaly("fifo_reorder", qk, fmt.Sprintf("consumer %s of group %s received offset %d of %s after offset %d",
					op.Process, op.Group, off, qk, *h.Offset), h.Index, op.Index)
			}
		}
		if h := high[k]; h == nil || off > *h.Offset {
			high[k] = op
		}
		seen[gq][off] = true
	}
	b.add("queues", int64(len(queues)))

	// Per sharding key: the send order, and each group's deliveries.
	type sendPos struct {
		id  string
		op  history.Operation
		out history.Type
	}
	keys := map[string][]sendPos{}
	keyOf := map[string]string{}
	for _, o := range ms.ops {
		op := o.Op()
		if op.F != history.FSend || op.ShardingKey == "" || o.Invoke == nil {
			continue
		}
		keys[op.ShardingKey] = append(keys[op.ShardingKey], sendPos{op.MessageID(), o, o.Type()})
		keyOf[op.MessageID()] = op.ShardingKey
	}
	groups := map[string]bool{}
	for _, g := range ms.groups {
		if orderly(g) {
			groups[g] = true
		}
	}
	for _, g := range opt.OrderlyGroups {
		groups[g] = true
	}
	type kg struct{ key, group string }
	recvs := map[kg][]*history.Op{} // history order
	dead := map[kg]map[string]bool{}
	for _, o := range ms.ops {
		op := o.Op()
		key, ok := keyOf[op.MessageID()]
		if !ok || !groups[op.Group] || o.Type() != history.OK {
			continue
		}
		k := kg{key, op.Group}
		switch op.F {
		case history.FReceive:
			recvs[k] = append(recvs[k], op)
		case history.FDLQ:
			if dead[k] == nil {
				dead[k] = map[string]bool{}
			}
			dead[k][op.MessageID()] = true
		}
	}
	groupList := sortedKeys(groups)
	for _, key := range sortedKeys(keys) {
		b.add("keys", 1)
		for _, g := range groupList {
			k := kg{key, g}
			got := map[string]bool{}
			for _, r := range recvs[k] {
				got[r.MessageID()] = true
			}
			// The sequence the group must follow.
			rank := map[string]int{}
			var seq []sendPos
			for _, s := range keys[key] {
				if s.out == history.Fail || (s.out == history.Info && !got[s.id]) {
					continue
				}
				if _, dup := rank[s.id]; dup {
					continue
				}
				rank[s.id] = len(seq)
				seq = append(seq, s)
			}
			delivered := map[int]bool{}
			top := -1
			var topOp *history.Op
			for _, r := range recvs[k] {
				p, ok := rank[r.MessageID()]
				if !ok {
					continue // a failed send delivered: the delivery checker's anomaly
				}
				switch {
				case p <= top && delivered[p]:
					b.add("redeliveries", 1)
				case p < top:
					b.anomaly("key_reorder", key, fmt.Sprintf("group %s received %s (send #%d of key %s) after %s (send #%d)",
						g, r.MessageID(), p, key, topOp.MessageID(), top), topOp.Index, r.Index)
				case p > top+1:
					for q := top + 1; q < p; q++ {
						if !delivered[q] && !dead[k][seq[q].id] {
							b.anomaly("key_gap", key, fmt.Sprintf("group %s received %s (send #%d of key %s) before %s (send #%d)",
								g, r.MessageID(), p, key, seq[q].id, q), seq[q].op.Index(), r.Index)
							break
						}
					}
				}
				delivered[p] = true
				if p > top {
					top, topOp = p, r
				}
			}
		}
	}
	for _, k := range []string{"fifo_reorder", "key_reorder", "key_gap"} {
		b.limit(k, 0)
	}
	return b.result()
}

// groupFilter returns a membership test for groups; a nil list means every
// group when all is true, none otherwise.
func groupFilter(groups []string, all bool) func(string) bool {
	if groups == nil {
		return func(string) bool { return all }
	}
	set := map[string]bool{}
	for _, g := range groups {
		set[g] = true
	}
	return func(g string) bool { return set[g] }
}
