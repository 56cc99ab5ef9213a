package check

import (
	"fmt"

	"rocketsim/jepsen/history"
)

// WellFormed checks that the history keeps the recording contract (see
// jepsen/history) before anything is judged on it. The other checkers skip
// events they cannot use, so a recorder that forgot the consumer group or
// the message key would otherwise make every checker pass on nothing.
// Missing identities, groups and broken pairing fail; gaps that only
// weaken a check (acks without offsets, operations still open at the end,
// clocks that stepped back) are counted.
func WellFormed(ops []history.Op) Result {
	b := newBuilder("history")
	b.ensure(countNames["history"]...)
	b.add("events", int64(len(ops)))
	paired, err := history.Pair(ops)
	if err != nil {
		b.anomaly("bad_pairing", "", err.Error())
		b.limit("bad_pairing", 0)
		return b.result()
	}
	b.add("operations", int64(len(paired)))
	for _, o := range paired {
		op := o.Op()
		switch op.F {
		case history.FSend, history.FReceive, history.FAck, history.FDLQ, history.FSendBack:
			if op.MessageID() == "" {
				b.anomaly("no_identity", op.F, fmt.Sprintf("%s event of %s has neither key nor msg_id", op.F, op.Process), op.Index)
			}
		}
		switch op.F {
		case history.FReceive, history.FAck, history.FDLQ, history.FSendBack:
			if op.Group == "" && op.Type != history.Invoke {
				b.anomaly("no_group", op.F, fmt.Sprintf("%s event of %s names no consumer group", op.F, op.Process), op.Index)
			}
		case history.FCommit, history.FRollback, history.FCheck:
			if op.TxnID == "" {
				b.anomaly("no_txn_id", op.F, fmt.Sprintf("%s event of %s names no transaction", op.F, op.Process), op.Index)
			}
		}
		if op.F == history.FSend && o.Type() == history.OK && op.DelayLevel == 0 && op.TxnID == "" && (op.Queue == nil || op.Offset == nil) {
			b.add("acks_without_offset", 1)
		}
		if op.F == history.FReceive && o.Type() == history.OK && (op.Queue == nil || op.Offset == nil) {
			b.add("receives_without_offset", 1)
		}
		if o.Completion == nil {
			b.add("open_at_end", 1)
		}
		if o.Invoke != nil && o.Completion != nil && o.Completion.Time < o.Invoke.Time {
			b.add("clock_steps_back", 1)
		}
	}
	for _, k := range []string{"no_identity", "no_group", "no_txn_id"} {
		b.limit(k, 0)
	}
	return b.result()
}
