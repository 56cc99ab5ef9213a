package check

import (
	"fmt"
	"sort"
	"time"

	"rocketsim/jepsen/history"
)

// DefaultMaxChecks is RocketMQ's transactionCheckMax: after this many
// check-backs a still-undecided half message is discarded.
const DefaultMaxChecks = 15

// TxnOptions configures the transaction checker.
type TxnOptions struct {
	// Groups must each receive every committed message; groups that
	// received any message of a transaction's topic are always checked.
	Groups []string `yaml:"groups" json:"groups,omitempty"`
	// CheckWithin bounds the time from a half message's acknowledgement to
	// its first check-back when the producer had not decided by then
	// (roughly transactionTimeOut + transactionCheckInterval). 0: not judged.
	CheckWithin time.Duration `yaml:"check_within" json:"check_within,omitempty"`
	// MaxChecks is transactionCheckMax (0: DefaultMaxChecks).
	MaxChecks int `yaml:"max_checks" json:"max_checks,omitempty"`
	// AllowDuplicates accepts more than one delivery of a committed message
	// to a group (a consumer restarting from its committed offset). By
	// default committed means exactly once per group.
	AllowDuplicates bool `yaml:"allow_duplicates" json:"allow_duplicates,omitempty"`
	// ClockError bounds how far two clients' clocks may disagree.
	ClockError time.Duration `yaml:"clock_error" json:"clock_error,omitempty"`
	// Settle exempts deliveries and check-backs due within Settle of the
	// history's end.
	Settle time.Duration `yaml:"settle" json:"settle,omitempty"`
}

// Transactions checks transactional messages by the producers' decisions:
// committed ones are delivered exactly once per group, and not before the
// commit; rolled-back ones never; undecided ones are checked back within the
// bound, at most MaxChecks times, and never delivered. A producer that
// answers both commit and rollback for one transaction is flagged too: the
// checker can no longer tell what the broker should have done.
func Transactions(ops []history.Op, opt TxnOptions) Result {
	b := newBuilder("transactions")
	b.ensure(countNames["transactions"]...)
	ms, err := indexMessages(ops)
	if err != nil {
		b.fail(err.Error())
		return b.result()
	}
	txns := indexTxns(ms.ops)
	maxChecks := opt.MaxChecks
	if maxChecks <= 0 {
		maxChecks = DefaultMaxChecks
	}
	deadline := ms.end - int64(opt.Settle)
	// Groups by topic they received from.
	topicGroups := map[string]map[string]bool{}
	for _, id := range ms.ids {
		for _, r := range ms.byID[id].receives {
			if topicGroups[r.Topic] == nil {
				topicGroups[r.Topic] = map[string]bool{}
			}
			topicGroups[r.Topic][r.Group] = true
		}
	}
	var checkDelays []float64
	for _, id := range ms.ids {
		m := ms.byID[id]
		send := m.sendOp()
		if send == nil || send.TxnID == "" {
			continue
		}
		txn := send.TxnID
		b.add("transactions", 1)
		half, halfOK := m.firstOK()
		state := txns.state(txn)
		checks := txns.checks[txn]
		b.add("checks", int64(len(checks)))
		decs := txns.decisions[txn]
		for i := 1; i < len(decs); i++ {
			if d := decs[i]; decisionOf(d) != decisionOf(decs[0]) {
				b.anomaly("conflicting_decision", txn, fmt.Sprintf("transaction %s decided %s then %s", txn, decisionOf(decs[0]), decisionOf(d)), decs[0].Index, d.Index)
				break
			}
		}
		groups := map[string]bool{}
		for g := range topicGroups[send.Topic] {
			groups[g] = true
		}
		for _, g := range opt.Groups {
			groups[g] = true
		}
		delete(groups, "")
		byGroup := map[string][]*history.Op{}
		for _, r := range m.receives {
			byGroup[r.Group] = append(byGroup[r.Group], r)
		}
		if !halfOK {
			if m.outcome() == history.Fail && len(m.receives) > 0 {
				b.anomaly("failed_half_delivered", txn, fmt.Sprintf("%s of transaction %s was delivered though its half send failed", id, txn), m.sends[0].Index(), m.receives[0].Index)
			}
		}
		// Check-backs are due when the producer had not decided by the time
		// the half message was stored plus the bound.
		if halfOK && len(checks) > 0 {
			checkDelays = append(checkDelays, float64(checks[0].Time-half.End())/float64(time.Millisecond))
		}
		if halfOK && opt.CheckWithin > 0 {
			due := half.End() + int64(opt.CheckWithin) + int64(opt.ClockError)
			undecidedAtDue := txns.decidedAt(txn) > due
			switch {
			case len(checks) > 0:
				if checks[0].Time > due && undecidedAtDue {
					b.anomaly("check_late", txn, fmt.Sprintf("transaction %s: first check-back %v after the half message, bound %v",
						txn, time.Duration(checks[0].Time-half.End()), opt.CheckWithin), half.Index(), checks[0].Index)
				}
			case undecidedAtDue && due <= deadline:
				b.anomaly("check_missing", txn, fmt.Sprintf("transaction %s undecided and never checked back within %v", txn, opt.CheckWithin), half.Index())
			}
		}
		unknownChecks := 0
		for _, c := range checks {
			if c.TxnState != history.TxnCommit && c.TxnState != history.TxnRollback {
				unknownChecks++
			}
		}
		if unknownChecks > maxChecks {
			b.anomaly("too_many_checks", txn, fmt.Sprintf("transaction %s checked back %d times with no decision; transactionCheckMax is %d", txn, unknownChecks, maxChecks), checks[maxChecks].Index)
		}
		switch state {
		case history.TxnCommit:
			b.add("committed", 1)
			at := txns.decidedAt(txn)
			for _, g := range sortedKeys(groups) {
				rs := byGroup[g]
				if len(rs) == 0 {
					if halfOK && max(at, half.End()) <= deadline {
						b.anomaly("committed_lost", txn, fmt.Sprintf("group %s never received committed %s of transaction %s", g, id, txn), decs[0].Index)
					}
					continue
				}
				// Retries (reconsume > 0) after a failed attempt are the
				// listener's doing, not a second delivery.
				var firsts []*history.Op
				for _, r := range rs {
					if r.Reconsume == 0 {
						firsts = append(firsts, r)
					}
				}
				if len(firsts) > 1 && !opt.AllowDuplicates {
					b.anomaly("committed_duplicate", txn, fmt.Sprintf("group %s received committed %s of transaction %s %d times", g, id, txn, len(firsts)), firsts[0].Index, firsts[1].Index)
				}
				if rs[0].Time < at-int64(opt.ClockError) {
					b.anomaly("delivered_before_commit", txn, fmt.Sprintf("group %s received %s %v before transaction %s was committed",
						g, id, time.Duration(at-rs[0].Time), txn), rs[0].Index, decs[0].Index)
				}
			}
		case history.TxnRollback:
			b.add("rolled_back", 1)
			if len(m.receives) > 0 {
				b.anomaly("rolled_back_delivered", txn, fmt.Sprintf("group %s received %s of rolled-back transaction %s", m.receives[0].Group, id, txn), decs[0].Index, m.receives[0].Index)
			}
		default:
			b.add("undecided", 1)
			if len(m.receives) > 0 {
				b.anomaly("undecided_delivered", txn, fmt.Sprintf("group %s received %s of transaction %s, which the producer never committed", m.receives[0].Group, id, txn), m.receives[0].Index)
			}
		}
	}
	sort.Float64s(checkDelays)
	addPercentiles(b, "first_check_ms", checkDelays)
	for _, k := range []string{"committed_lost", "delivered_before_commit", "rolled_back_delivered", "undecided_delivered",
		"conflicting_decision", "check_missing", "check_late", "too_many_checks", "failed_half_delivered", "committed_duplicate"} {
		b.limit(k, 0)
	}
	return b.result()
}
