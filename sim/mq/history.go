package mq

import (
	"fmt"
	"time"

	"rocketsim/jepsen/history"
)

// recorder is the run's shared history. Every client records into it on the
// world's one goroutine, so its order is the true order of events. An
// operation runs as its own history process "node/slot": Jepsen processes do
// one operation at a time, so a producer with a window of sends uses one
// slot per send in flight. A slot is freed when its operation completes; an
// operation a crash left open keeps its slot for ever, as Jepsen retires a
// crashed process.
type recorder struct {
	rec   *history.Recorder
	now   func() time.Duration // true simulated time, for SimTime only
	slots map[string][]bool
	// lastReceive is the true time of each group's latest delivery.
	lastReceive map[string]time.Duration
}

func newRecorder(now func() time.Duration) *recorder {
	return &recorder{rec: history.NewRecorder(), now: now, slots: map[string][]bool{}, lastReceive: map[string]time.Duration{}}
}

// pending is an operation in flight.
type pending struct {
	node  string
	slot  int
	index int64
}

// invoke records the start of an operation of node.
func (h *recorder) invoke(node string, op history.Op) pending {
	slots := h.slots[node]
	slot := len(slots)
	for i, busy := range slots {
		if !busy {
			slot = i
			break
		}
	}
	if slot == len(slots) {
		slots = append(slots, false)
	}
	slots[slot] = true
	h.slots[node] = slots
	op.Type = history.Invoke
	op.Process = fmt.Sprintf("%s/%d", node, slot)
	op.SimTime = int64(h.now())
	return pending{node: node, slot: slot, index: h.rec.Invoke(op)}
}

// complete records the completion of p at the client's wall time.
func (h *recorder) complete(p pending, t history.Type, wall time.Time, update func(*history.Op)) {
	at := int64(h.now())
	h.rec.Complete(p.index, t, wall.UnixNano(), func(op *history.Op) {
		op.SimTime = at
		if update != nil {
			update(op)
		}
	})
	h.slots[p.node][p.slot] = false
}

// point records an event that has no invoke (a delivery).
func (h *recorder) point(op history.Op) {
	op.SimTime = int64(h.now())
	if op.F == history.FReceive {
		h.lastReceive[op.Group] = h.now()
	}
	h.rec.Add(op)
}
