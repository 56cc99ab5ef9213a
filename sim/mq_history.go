package main

import (
	"fmt"
	"hash/crc32"
	"time"

	"rocketsim/jepsen/history"
)

// mqHistory is the mq workload's shared recorder. Every client node of the
// world records into it on the one simulator goroutine, so its order is the
// real order of events. Each operation runs as its own history process
// ("producer-1/3"): a slot taken when the operation starts and freed when it
// completes; an operation a crash left open keeps its slot for ever, as
// Jepsen retires a crashed process.
type mqHistory struct {
	rec   *history.Recorder
	now   func() time.Duration // true simulated time, for SimTime
	slots map[string][]bool
}

func newMQHistory(now func() time.Duration) *mqHistory {
	return &mqHistory{rec: history.NewRecorder(), now: now, slots: map[string][]bool{}}
}

// invoke records the start of an operation by node and returns its handle.
func (h *mqHistory) invoke(node string, op history.Op) mqOp {
	slots := h.slots[node]
	slot := -1
	for i, busy := range slots {
		if !busy {
			slot = i
			break
		}
	}
	if slot < 0 {
		slot = len(slots)
		slots = append(slots, false)
	}
	slots[slot] = true
	h.slots[node] = slots
	op.Process = fmt.Sprintf("%s/%d", node, slot)
	op.SimTime = int64(h.now())
	return mqOp{node: node, slot: slot, index: h.rec.Invoke(op)}
}

// complete records the end of an operation started by invoke.
func (h *mqHistory) complete(o mqOp, t history.Type, wall time.Time, update func(*history.Op)) {
	at := int64(h.now())
	h.rec.Complete(o.index, t, wall.UnixNano(), func(op *history.Op) {
		op.SimTime = at
		if update != nil {
			update(op)
		}
	})
	h.slots[o.node][o.slot] = false
}

// add records a point event (a delivery).
func (h *mqHistory) add(op history.Op) {
	op.SimTime = int64(h.now())
	h.rec.Add(op)
}

// mqOp is an operation in flight.
type mqOp struct {
	node  string
	slot  int
	index int64
}

// digest is a message body's fingerprint in the history.
func digest(body []byte) string { return fmt.Sprintf("%08x", crc32.ChecksumIEEE(body)) }
