package mq

import (
	"fmt"
	"strings"

	"rocketsim/client"
	"rocketsim/client/producer"
	"rocketsim/jepsen/history"
)

// MessageKind is what one message of a producer exercises.
type MessageKind string

// The message kinds. Every kind but Normal needs the core clients.
const (
	// Normal is a plain message.
	Normal MessageKind = "normal"
	// Delay asks for Spec.DelayLevel: the broker parks it in
	// SCHEDULE_TOPIC_XXXX and delivers it when due.
	Delay MessageKind = "delay"
	// Commit is a transactional message whose local transaction commits.
	Commit MessageKind = "commit"
	// Rollback is a transactional message whose local transaction rolls
	// back: no group may ever see it.
	Rollback MessageKind = "rollback"
	// Unknown is a transactional message whose local transaction answers
	// "unknown": only the broker's check-back resolves it (to commit for
	// even message numbers, rollback for odd ones).
	Unknown MessageKind = "unknown"
	// Failing is a message the regular group's listener fails on every
	// attempt: it is retried 1 + MaxReconsumeTimes times and dead-lettered.
	Failing MessageKind = "fail"
)

// MessageKinds lists every kind, for validation and help texts.
var MessageKinds = []MessageKind{Normal, Delay, Commit, Rollback, Unknown, Failing}

// FailTag is the tag that marks Failing messages, so a listener of any
// incarnation knows to fail them without shared memory.
const FailTag = "Fail"

// kind is message n's kind: the mix in turn (nil: Normal).
func (s Spec) kind(n int) MessageKind {
	if len(s.Mix) == 0 {
		return Normal
	}
	return s.Mix[n%len(s.Mix)]
}

// transactional reports whether kind goes through SendInTransaction.
func (k MessageKind) transactional() bool { return k == Commit || k == Rollback || k == Unknown }

// keySuffix ends a transactional message's key with what the producer
// decides, so that any producer of the group (a restarted incarnation, or
// another node) answers a check-back the same way without shared state.
const (
	suffixCommit   = "+commit"
	suffixRollback = "+rollback"
	suffixUnknown  = "+unknown"
)

// messageKey is message n's unique key: the node, a per-incarnation session
// drawn from the node's seeded stream, the counter, and for transactions
// the decision.
func messageKey(node string, session uint64, n int, kind MessageKind) string {
	key := fmt.Sprintf("%s-%016x-%d", node, session, n)
	switch kind {
	case Commit:
		key += suffixCommit
	case Rollback:
		key += suffixRollback
	case Unknown:
		if n%2 == 0 {
			key += suffixUnknown + suffixCommit
		} else {
			key += suffixUnknown + suffixRollback
		}
	}
	return key
}

// executeDecision is the local transaction's outcome for key: commit,
// rollback, or unknown (then the check-back decides).
func executeDecision(key string) producer.TransactionState {
	switch {
	case strings.Contains(key, suffixUnknown):
		return producer.TransactionUnknown
	case strings.HasSuffix(key, suffixRollback):
		return producer.TransactionRollback
	}
	return producer.TransactionCommit
}

// checkDecision is what a check-back answers for key.
func checkDecision(key string) producer.TransactionState {
	if strings.HasSuffix(key, suffixRollback) {
		return producer.TransactionRollback
	}
	return producer.TransactionCommit
}

// buildMessage makes message n of kind: the client message and the history
// operation that records its send.
func (s Spec) buildMessage(node string, session uint64, n int, now int64) (*client.Message, history.Op) {
	kind := s.kind(n)
	key := messageKey(node, session, n, kind)
	body := make([]byte, s.Body)
	copy(body, key)
	msg := client.NewMessage(s.Topic, body).WithKeys(key)
	op := history.Op{F: history.FSend, Time: now, Topic: s.Topic, Key: key, BodyDigest: history.Digest(body)}
	tag := s.tag(n)
	switch kind {
	case Delay:
		msg.WithDelayLevel(s.delayLevel())
		op.DelayLevel = s.delayLevel()
	case Commit, Rollback, Unknown:
		op.TxnID = key
	case Failing:
		tag = FailTag
	}
	if tag != "" {
		msg.WithTag(tag)
		op.Tags = tag
	}
	if sk := s.shardingKey(node, n); sk != "" {
		msg.WithShardingKey(sk)
		op.ShardingKey = sk
	}
	return msg, op
}

// delayLevel is the level Delay messages ask for.
func (s Spec) delayLevel() int {
	if s.DelayLevel == 0 {
		return DefaultDelayLevel
	}
	return s.DelayLevel
}

// DefaultDelayLevel is level 2 of RocketMQ's default table (5 s).
const DefaultDelayLevel = 2

// txnListener runs the local transactions of a core producer and answers
// check-backs, deciding from the message's key and recording each decision.
type txnListener struct{ cp **coreProducer }

func (l txnListener) Execute(msg *client.Message, _ *producer.SendResult, done func(producer.TransactionState)) {
	cp := *l.cp
	key := msg.Property(client.PropertyKeys)
	st := executeDecision(key)
	if st != producer.TransactionUnknown {
		f := history.FCommit
		if st == producer.TransactionRollback {
			f = history.FRollback
		}
		cp.h.point(history.Op{Process: cp.rt.Name() + "/txn", Type: history.OK, F: f, Time: cp.rt.Now().UnixNano(),
			Topic: cp.spec.Topic, Key: key, TxnID: key})
	}
	done(st)
}

func (l txnListener) Check(msg *client.MessageExt, done func(producer.TransactionState)) {
	cp := *l.cp
	key := msg.Property(client.PropertyKeys)
	st := checkDecision(key)
	state := history.TxnCommit
	if st == producer.TransactionRollback {
		state = history.TxnRollback
	}
	cp.h.point(history.Op{Process: cp.rt.Name() + "/check", Type: history.OK, F: history.FCheck, Time: cp.rt.Now().UnixNano(),
		Topic: cp.spec.Topic, Key: key, TxnID: key, TxnState: state})
	done(st)
}
