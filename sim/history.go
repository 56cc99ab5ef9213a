package main

import (
	"fmt"
	"slices"

	"rocketsim/jepsen/history"
	"rocketsim/sim/pingpong"
)

// toHistory converts the pingpong clients' events into the shared history
// format (jepsen/history), so the simulator and multi-process runs write one
// format and the generic checkers can read a pingpong run too.
//
// A history process performs one operation at a time, while a pingpong
// client keeps a window of requests in flight: each request takes the
// lowest free slot of its client, and the process is "client/slot".
func toHistory(events []pingpong.Timed) []history.Op {
	rec := history.NewRecorder()
	type key struct {
		session, seq uint64
	}
	type open struct {
		invoke int64
		client string
		slot   int
	}
	inflight := map[key]open{}
	busy := map[string][]bool{} // client -> slot -> taken
	for _, e := range events {
		k := key{e.Session, e.Seq}
		if e.Outcome == pingpong.Invoked {
			slots := busy[e.Client]
			slot := slices.Index(slots, false)
			if slot < 0 {
				slot = len(slots)
				slots = append(slots, false)
			}
			slots[slot] = true
			busy[e.Client] = slots
			idx := rec.Invoke(history.Op{
				Process: fmt.Sprintf("%s/%d", e.Client, slot),
				F:       history.FSend,
				Time:    e.Wall.UnixNano(),
				SimTime: int64(e.At),
				Key:     fmt.Sprintf("%016x-%d", e.Session, e.Seq),
			})
			inflight[k] = open{invoke: idx, client: e.Client, slot: slot}
			continue
		}
		o, ok := inflight[k]
		if !ok {
			panic(fmt.Sprintf("sim: completion of %v without an invoke", k))
		}
		delete(inflight, k)
		busy[o.client][o.slot] = false
		t := map[pingpong.Outcome]history.Type{pingpong.OK: history.OK, pingpong.Failed: history.Fail, pingpong.Unknown: history.Info}[e.Outcome]
		at, remark := int64(e.At), e.Remark
		rec.Complete(o.invoke, t, e.Wall.UnixNano(), func(op *history.Op) {
			op.SimTime, op.Error = at, remark
		})
	}
	return rec.Ops()
}
