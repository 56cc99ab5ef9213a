// Package lock is the broker's table of orderly-consumption queue locks
// (RocketMQ's RebalanceLockManager): a queue of a consumer group is held by at
// most one client at a time, the holder renews it by locking again, and a
// lock nobody renews expires, because the official Go client never unlocks
// queues a rebalance takes away from it.
//
// Times are the node's monotonic clock, passed in by the caller.
package lock

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// MaxLiveDefault is how long a lock lives without renewal (Java
// rocketmq.broker.rebalance.lockMaxLiveTime, 60 s). Clients renew every 20 s
// and consider their own lock stale after 30 s, so a live holder never loses it.
const MaxLiveDefault = 60 * time.Second

// Queue names a message queue, with the JSON shape of Java's MessageQueue.
type Queue struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int    `json:"queueId"`
}

// Compare orders queues by topic, broker name, then queue id.
func Compare(a, b Queue) int {
	return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.BrokerName, b.BrokerName), cmp.Compare(a.QueueID, b.QueueID))
}

type entry struct {
	clientID   string
	lastUpdate time.Duration
}

// Table holds the locks of every group.
type Table struct {
	maxLive time.Duration
	groups  map[string]map[Queue]*entry
}

// New returns an empty table whose locks live maxLive without renewal
// (MaxLiveDefault when 0).
func New(maxLive time.Duration) *Table {
	if maxLive <= 0 {
		maxLive = MaxLiveDefault
	}
	return &Table{maxLive: maxLive, groups: map[string]map[Queue]*entry{}}
}

func (t *Table) expired(e *entry, now time.Duration) bool { return now-e.lastUpdate > t.maxLive }

// TryLock locks as many of queues for clientID as it can at time now and
// returns those it holds, sorted: queues free, expired, or already its own
// (which renews them).
func (t *Table) TryLock(group, clientID string, queues []Queue, now time.Duration) []Queue {
	m, ok := t.groups[group]
	if !ok {
		m = map[Queue]*entry{}
		t.groups[group] = m
	}
	var out []Queue
	for _, q := range queues {
		e, ok := m[q]
		switch {
		case !ok || t.expired(e, now):
			m[q] = &entry{clientID: clientID, lastUpdate: now}
		case e.clientID == clientID:
			e.lastUpdate = now
		default:
			continue
		}
		out = append(out, q)
	}
	slices.SortFunc(out, Compare)
	return slices.Compact(out)
}

// Unlock releases the queues clientID holds among queues; others' locks stay.
func (t *Table) Unlock(group, clientID string, queues []Queue) {
	m, ok := t.groups[group]
	if !ok {
		return
	}
	for _, q := range queues {
		if e, ok := m[q]; ok && e.clientID == clientID {
			delete(m, q)
		}
	}
	if len(m) == 0 {
		delete(t.groups, group)
	}
}

// Holder returns who holds a queue's lock at time now, "" when nobody does.
func (t *Table) Holder(group string, q Queue, now time.Duration) string {
	if e, ok := t.groups[group][q]; ok && !t.expired(e, now) {
		return e.clientID
	}
	return ""
}

// Sweep drops expired locks so the table does not grow with every queue
// ever locked; it returns how many it dropped.
func (t *Table) Sweep(now time.Duration) int {
	n := 0
	for _, g := range slices.Sorted(maps.Keys(t.groups)) {
		m := t.groups[g]
		for q, e := range m {
			if t.expired(e, now) {
				delete(m, q)
				n++
			}
		}
		if len(m) == 0 {
			delete(t.groups, g)
		}
	}
	return n
}
