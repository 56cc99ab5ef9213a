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
