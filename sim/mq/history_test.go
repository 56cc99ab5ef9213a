package mq

import (
	"testing"
	"time"

	"rocketsim/jepsen/history"
)

// TestRecorderSlots: an operation runs as its own history process, a slot
// of its node freed on completion; a crashed operation keeps its slot.
func TestRecorderSlots(t *testing.T) {
	var now time.Duration
	h := newRecorder(func() time.Duration { return now })
	wall := time.Unix(0, 0)
	a := h.invoke("p", history.Op{F: history.FSend, Key: "a"})
	h.invoke("p", history.Op{F: history.FSend, Key: "b"})
	now = 5
	h.complete(a, history.OK, wall, func(o *history.Op) { o.Offset = history.Int64(0) })
	c := h.invoke("p", history.Op{F: history.FSend, Key: "c"}) // reuses a's slot
	h.complete(c, history.Fail, wall, nil)
	// b never completes (its process crashed): its slot stays taken.
	d := h.invoke("p", history.Op{F: history.FSend, Key: "d"})
	h.complete(d, history.Info, wall, nil)
	now = 7
	h.point(history.Op{Process: "c1", Type: history.OK, F: history.FReceive, Group: "g", Key: "a", Offset: history.Int64(0)})

	ops := h.rec.Ops()
	want := map[string]string{"a": "p/0", "b": "p/1", "c": "p/0", "d": "p/0"}
	for _, op := range ops {
		if w, ok := want[op.Key]; ok && op.F == history.FSend && op.Process != w {
			t.Errorf("%s %s ran as %s, want %s", op.Type, op.Key, op.Process, w)
		}
	}
	if ops[2].SimTime != 5 || ops[2].Type != history.OK || ops[2].OffsetValue() != 0 {
		t.Errorf("completion of a: %+v", ops[2])
	}
	if _, err := history.Pair(ops); err != nil {
		t.Errorf("the history does not pair: %v", err)
	}
	if h.lastReceive["g"] != 7 {
		t.Errorf("group g's last receive at %v, want 7", h.lastReceive["g"])
	}
}

// TestDuplicates: a transactional message read twice on one broker is a
// commit stored twice; on two brokers it is the producer's retried half
// send, a duplicate but not a doubled commit.
func TestDuplicates(t *testing.T) {
	recv := func(key, broker string) history.Op {
		return history.Op{Type: history.OK, F: history.FReceive, Group: "v", Key: key, Queue: &history.Queue{Broker: broker}}
	}
	res := &Result{Ops: []history.Op{
		{Type: history.Invoke, F: history.FSend, Key: "t1", TxnID: "t1"},
		{Type: history.Invoke, F: history.FSend, Key: "t2", TxnID: "t2"},
		{Type: history.Invoke, F: history.FSend, Key: "n"},
		recv("t1", "a"), recv("t1", "a"), // doubled commit
		recv("t2", "a"), recv("t2", "b"), // retried half send
		recv("n", "a"), recv("n", "b"), // retried plain send
		recv("n", "a"),
	}}
	if got := res.Duplicates("v"); got != 4 {
		t.Errorf("duplicates %d, want 4", got)
	}
	if got := res.CommittedDuplicates("v"); got != 1 {
		t.Errorf("committed duplicates %d, want 1", got)
	}
	if got := res.Duplicates("other"); got != 0 {
		t.Errorf("duplicates of another group %d", got)
	}
}
