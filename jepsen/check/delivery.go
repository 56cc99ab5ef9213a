package check

import (
	"fmt"
	"strings"
	"time"

	"rocketsim/jepsen/history"
)

// DeliveryOptions configures the delivery checker.
type DeliveryOptions struct {
	// Groups must each receive every acknowledged message of the topics they
	// subscribe to. Groups seen in the history are always checked; list a
	// group here so that one which received nothing at all is caught.
	Groups []string `yaml:"groups" json:"groups,omitempty"`
	// BroadcastGroups consume in broadcasting mode: every consumer instance
	// must receive every message. An instance is a process name up to its
	// first "/" ("c1/q3" is instance c1), so a consumer may record with one
	// process per queue.
	BroadcastGroups []string `yaml:"broadcast_groups" json:"broadcast_groups,omitempty"`
	// Subscriptions maps a group to what it subscribes: "topic" or
	// "topic:*" for every message, "topic:TagA||TagB" for those tags (as in
	// RocketMQ's subscribe expression). Any other expression (SQL92) is not
	// evaluated: the group's deliveries of that topic are accepted, its
	// misses not judged. A group without an entry is taken to subscribe to
	// every message of the topics it received from, so a workload that
	// filters must say so here.
	Subscriptions map[string][]string `yaml:"subscriptions" json:"subscriptions,omitempty"`
	// Settle exempts messages acknowledged (or, when delayed, due) within
	// Settle of the history's end: they may still be in flight. They are
	// counted as pending, not lost.
	Settle time.Duration `yaml:"settle" json:"settle,omitempty"`
	// DelayLevels is the broker's messageDelayLevel (nil: RocketMQ's default).
	DelayLevels []time.Duration `yaml:"delay_levels" json:"delay_levels,omitempty"`
	// MaxLost and MaxUnexpected bound the counts (0: none allowed; negative:
	// report only). MaxDupRatio bounds duplicates / deliveries; nil: report
	// only, since RocketMQ promises at-least-once.
	MaxLost       int64    `yaml:"max_lost" json:"max_lost,omitempty"`
	MaxUnexpected int64    `yaml:"max_unexpected" json:"max_unexpected,omitempty"`
	MaxDupRatio   *float64 `yaml:"max_dup_ratio" json:"max_dup_ratio,omitempty"`
	// FromGroupStart requires of each group (or broadcast instance) only
	// the messages acknowledged after its first delivery, less ClockError:
	// a group that subscribed with CONSUME_FROM_LAST_OFFSET never sees what
	// was sent before it started. Those are counted as before_start.
	FromGroupStart bool          `yaml:"from_group_start" json:"from_group_start,omitempty"`
	ClockError     time.Duration `yaml:"clock_error" json:"clock_error,omitempty"`
}

// Delivery checks, per consumer group, that every acknowledged send was
// delivered at least once or dead-lettered, and counts lost, duplicated and
// unexpected messages. Sends with unknown outcome may or may not appear.
// Transactional messages are expected only once committed, and must not
// appear when rolled back.
//
// A duplicate is a second delivery of one message with the same reconsume
// count in one group: a retry (reconsume count raised after a failed
// attempt) is not a duplicate; a redelivery after a rebalance or restart
// from the committed offset is.
func Delivery(ops []history.Op, opt DeliveryOptions) Result {
	b := newBuilder("delivery")
	b.ensure(countNames["delivery"]...)
	ms, err := indexMessages(ops)
	if err != nil {
		b.fail(err.Error())
		return b.result()
	}
	txns := indexTxns(ms.ops)
	groups := map[string]bool{}
	for _, g := range ms.groups {
		groups[g] = true
	}
	for _, g := range opt.Groups {
		groups[g] = true
	}
	subs := map[string]map[string]*subscription{}
	for g := range groups {
		subs[g] = map[string]*subscription{}
		if entries, ok := opt.Subscriptions[g]; ok {
			for _, e := range entries {
				topic, sub := parseSubscription(e)
				subs[g][topic] = sub
			}
		}
	}
	for _, id := range ms.ids {
		for _, r := range ms.byID[id].receives {
			if _, explicit := opt.Subscriptions[r.Group]; !explicit && subs[r.Group] != nil && !isSystemTopic(r.Topic) {
				subs[r.Group][r.Topic] = &subscription{all: true}
			}
		}
	}
	deadline := ms.end - int64(opt.Settle)
	// A clustering group is one member; a broadcasting group has one member
	// per consumer instance, each of which must receive every message.
	broadcast := groupFilter(opt.BroadcastGroups, false)
	instances := map[string]map[string]bool{}
	for _, id := range ms.ids {
		for _, r := range ms.byID[id].receives {
			if broadcast(r.Group) {
				if instances[r.Group] == nil {
					instances[r.Group] = map[string]bool{}
				}
				instances[r.Group][instanceOf(r.Process)] = true
			}
		}
	}
	type member struct{ label, group, instance string }
	var members []member
	for _, g := range sortedKeys(groups) {
		if !broadcast(g) {
			members = append(members, member{g, g, ""})
			continue
		}
		for _, inst := range sortedKeys(instances[g]) {
			members = append(members, member{g + "@" + inst, g, inst})
		}
	}

	// Each member's first delivery, for FromGroupStart.
	starts := map[string]int64{}
	for _, mem := range members {
		starts[mem.label] = history.Never
	}
	for _, o := range ms.ops {
		r := o.Op()
		if r.F != history.FReceive || o.Type() != history.OK {
			continue
		}
		for _, mem := range members {
			if r.Group == mem.group && (mem.instance == "" || instanceOf(r.Process) == mem.instance) {
				starts[mem.label] = min(starts[mem.label], r.Time)
			}
		}
	}
	var deliveries int64
	for _, id := range ms.ids {
		m := ms.byID[id]
		send := m.sendOp()
		out := m.outcome()
		txn := ""
		if send != nil {
			txn = send.TxnID
		}
		state := txns.state(txn)
		switch {
		case out == history.OK && (txn == "" || state == history.TxnCommit):
			b.add("acknowledged", 1)
		case out == history.Info || out == history.OK:
			b.add("unknown_sent", 1)
		}
		for _, mem := range members {
			g := mem.label
			var recv []*history.Op
			for _, r := range m.receives {
				if r.Group == mem.group && (mem.instance == "" || instanceOf(r.Process) == mem.instance) {
					recv = append(recv, r)
				}
			}
			var dead []*history.Op
			for _, d := range m.dlq {
				if d.Group == mem.group {
					dead = append(dead, d)
				}
			}
			deliveries += int64(len(recv))
			if len(recv) > 0 {
				b.add("delivered", 1)
			}
			if len(dead) > 0 {
				b.add("dead_lettered", 1)
			}
			// Duplicates: same reconsume count delivered again.
			seen := map[int]bool{}
			for _, r := range recv {
				if seen[r.Reconsume] {
					b.add("duplicates", 1)
					b.anomaly("duplicate", id, fmt.Sprintf("group %s received %s again with reconsume %d", g, id, r.Reconsume), recv[0].Index, r.Index)
				}
				seen[r.Reconsume] = true
			}
			// A body that differs from every send of the message is corrupt
			// (either side may lack a digest: then nothing is compared).
			for _, r := range append(recv, dead...) {
				if r.BodyDigest == "" || len(m.sends) == 0 {
					continue
				}
				same := false
				for _, s := range m.sends {
					d := s.Op().BodyDigest
					same = same || d == "" || d == r.BodyDigest
				}
				if !same {
					b.anomaly("corrupted", id, fmt.Sprintf("group %s got %s with body digest %s, which no send of it carried", g, id, r.BodyDigest), m.sends[0].Index(), r.Index)
				}
			}
			if _, explicit := opt.Subscriptions[mem.group]; explicit {
				for _, r := range recv {
					sub := subs[mem.group][r.Topic]
					if sub == nil || (!sub.unknown && !sub.all && !sub.tags[r.Tags]) {
						b.add("unexpected", 1)
						b.anomaly("unexpected_filtered", id, fmt.Sprintf("group %s received %s of %s with tags %q, which its subscription excludes", g, id, r.Topic, r.Tags), r.Index)
						break
					}
				}
			}
			switch {
			case out == "" && len(recv)+len(dead) > 0:
				b.add("unexpected", 1)
				b.anomaly("unexpected_never_sent", id, fmt.Sprintf("group %s received %s, which no client sent", g, id), firstIndex(recv, dead))
			case out == history.Fail && len(recv)+len(dead) > 0:
				b.add("unexpected", 1)
				b.anomaly("unexpected_failed_send", id, fmt.Sprintf("group %s received %s, whose every send failed", g, id), m.sends[0].Index(), firstIndex(recv, dead))
			case txn != "" && state == history.TxnRollback && len(recv) > 0:
				b.add("unexpected", 1)
				b.anomaly("unexpected_rolled_back", id, fmt.Sprintf("group %s received %s of rolled-back transaction %s", g, id, txn), m.sends[0].Index(), recv[0].Index)
			}
			if out != history.OK || (txn != "" && state != history.TxnCommit) || !subs[mem.group][send.Topic].requires(send.Tags) || len(recv)+len(dead) > 0 {
				continue
			}
			s, _ := m.firstOK()
			if opt.FromGroupStart && s.End() < starts[mem.label]+int64(opt.ClockError) {
				b.add("before_start", 1)
				continue
			}
			due := s.End() + int64(levelDelay(opt.DelayLevels, send.DelayLevel))
			if txn != "" {
				due = max(due, txns.decidedAt(txn))
			}
			if due > deadline {
				b.add("pending", 1)
				continue
			}
			b.add("lost:"+g, 1)
			b.anomaly("lost", id, fmt.Sprintf("group %s never received %s of %s, acknowledged at %d", g, id, send.Topic, s.End()), s.Index())
		}
	}
	b.add("deliveries", deliveries)
	ratio := 0.0
	if deliveries > 0 {
		ratio = float64(b.count("duplicates")) / float64(deliveries)
	}
	b.figure("dup_ratio", ratio)
	b.figure("groups", float64(len(groups)))
	b.limit("lost", opt.MaxLost)
	b.limit("unexpected", opt.MaxUnexpected)
	b.limit("corrupted", 0)
	if opt.MaxDupRatio != nil && ratio > *opt.MaxDupRatio {
		b.fail(fmt.Sprintf("dup_ratio: %.4f > allowed %.4f", ratio, *opt.MaxDupRatio))
	}
	if len(groups) == 0 && b.count("acknowledged") > 0 {
		b.unknown("no consumer group received anything and none was named: nothing to judge")
	}
	return b.result()
}

func instanceOf(process string) string {
	inst, _, _ := strings.Cut(process, "/")
	return inst
}

func firstIndex(lists ...[]*history.Op) int64 {
	best := int64(-1)
	for _, l := range lists {
		for _, o := range l {
			if best < 0 || o.Index < best {
				best = o.Index
			}
		}
	}
	return best
}
