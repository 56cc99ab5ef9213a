package check

import (
	"strings"

	"rocketsim/jepsen/history"
)

// txnIndex is what the producers decided about each transaction.
type txnIndex struct {
	decisions map[string][]*history.Op // commit/rollback events and decided check answers, history order
	checks    map[string][]*history.Op // check events (any answer), history order
}

func indexTxns(ops []history.Operation) *txnIndex {
	t := &txnIndex{decisions: map[string][]*history.Op{}, checks: map[string][]*history.Op{}}
	for _, o := range ops {
		op := o.Op()
		if op.TxnID == "" || op.Type == history.Invoke {
			continue
		}
		switch op.F {
		case history.FCommit, history.FRollback:
			t.decisions[op.TxnID] = append(t.decisions[op.TxnID], op)
		case history.FCheck:
			t.checks[op.TxnID] = append(t.checks[op.TxnID], op)
			if op.TxnState == history.TxnCommit || op.TxnState == history.TxnRollback {
				t.decisions[op.TxnID] = append(t.decisions[op.TxnID], op)
			}
		}
	}
	return t
}

func decisionOf(op *history.Op) string {
	switch {
	case op.F == history.FCommit:
		return history.TxnCommit
	case op.F == history.FRollback:
		return history.TxnRollback
	}
	return strings.ToLower(op.TxnState)
}

// state is the producer's first decision on txn, or TxnUnknown.
func (t *txnIndex) state(txn string) string {
	if d := t.decisions[txn]; len(d) > 0 {
		return decisionOf(d[0])
	}
	return history.TxnUnknown
}

// decidedAt is the client time of the first decision, or history.Never.
func (t *txnIndex) decidedAt(txn string) int64 {
	if d := t.decisions[txn]; len(d) > 0 {
		return d[0].Time
	}
	return history.Never
}
