package server_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/stretchr/testify/require"

	"rocketsim/broker/bugs"
	"rocketsim/broker/server"
	"rocketsim/broker/transaction"
)

// checkingListener leaves every message but "commit-*" and "rollback-*"
// unknown when the transaction runs, and answers the broker's check-backs
// by prefix: "late-commit-*" is still unknown at its first check and
// committed at the next, "late-rollback-*" is rolled back at its first
// check, "forever-*" stays unknown. It records every check with the
// message the broker sent.
type checkingListener struct {
	mu     sync.Mutex
	checks map[string][]*primitive.MessageExt
}

func (l *checkingListener) ExecuteLocalTransaction(m *primitive.Message) primitive.LocalTransactionState {
	switch body := string(m.Body); {
	case strings.HasPrefix(body, "commit-"):
		return primitive.CommitMessageState
	case strings.HasPrefix(body, "rollback-"):
		return primitive.RollbackMessageState
	default:
		return primitive.UnkonwnState
	}
}

func (l *checkingListener) CheckLocalTransaction(m *primitive.MessageExt) primitive.LocalTransactionState {
	l.mu.Lock()
	defer l.mu.Unlock()
	body := string(m.Body)
	l.checks[body] = append(l.checks[body], m)
	switch {
	case strings.HasPrefix(body, "late-commit-") && len(l.checks[body]) >= 2:
		return primitive.CommitMessageState
	case strings.HasPrefix(body, "late-rollback-"):
		return primitive.RollbackMessageState
	default:
		return primitive.UnkonwnState
	}
}

func (l *checkingListener) count(body string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.checks[body])
}

// txnOutcome is what the transaction flow observed.
type txnOutcome struct {
	ids       map[string]string // body -> message id the producer got
	delivered *received         // what the consumer group received
	l         *checkingListener
}

// txnFlow sends "commit-1", "rollback-1", "late-commit-1",
// "late-rollback-1" and "forever-1" through the official transaction
// producer (see checkingListener), with a push consumer running, and waits
// (bounded) until the late commit is delivered, the late rollback checked
// and the never-resolved one discarded, then two more check rounds.
func txnFlow(t *testing.T, c *realCluster, topic string) txnOutcome {
	t.Helper()
	createTopic(t, c, topic, 2)
	o := txnOutcome{ids: map[string]string{}, delivered: newReceived(), l: &checkingListener{checks: map[string][]*primitive.MessageExt{}}}
	p, err := producer.NewTransactionProducer(o.l,
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		producer.WithGroupName(topic+"-pg"), producer.WithRetry(1))
	require.NoError(t, err)
	require.NoError(t, p.Start())
	t.Cleanup(func() { _ = p.Shutdown() })

	pc := startPushConsumer(t, c, topic+"-cg", "tc1", topic, consumer.MessageSelector{}, o.delivered)
	t.Cleanup(func() { _ = pc.Shutdown() })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, body := range []string{"commit-1", "rollback-1", "late-commit-1", "late-rollback-1", "forever-1"} {
		m := primitive.NewMessage(topic, []byte(body))
		m.WithKeys([]string{"key-" + body})
		m.WithProperty("shop", "s1")
		res, err := p.SendMessageInTransaction(ctx, m)
		require.NoError(t, err, body)
		require.Equal(t, primitive.SendOK, res.Status, body)
		o.ids[body] = res.MsgID
	}
	discarded := func() int64 {
		return onBroker(c, func(b *server.Broker) int64 { return b.Store().MaxOffsetInQueue(transaction.CheckMaxTimeTopic, 0) })
	}
	waitFor(t, 30*time.Second, func() bool {
		_, ok := o.delivered.get("late-commit-1")
		return ok && o.l.count("late-rollback-1") >= 1 && o.l.count("forever-1") >= txnCheckMax && discarded() >= 1
	}, "the late commit to be delivered, the late rollback checked and the unknown one discarded")
	// Two more check rounds: nothing else is delivered or checked.
	time.Sleep(2500 * time.Millisecond)
	return o
}

// get returns the message received with body, if any.
func (r *received) get(body string) (*primitive.MessageExt, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.msgs[body]
	return m, ok
}

// txnViolations judges a transaction flow by what the consumers saw: each
// committed transaction ("commit-1", "late-commit-1") delivered exactly
// once with its keys and properties, nothing else ever. Sorted.
func txnViolations(o txnOutcome) []string {
	o.delivered.mu.Lock()
	defer o.delivered.mu.Unlock()
	var bad []string
	committed := []string{"commit-1", "late-commit-1"}
	for body, m := range o.delivered.msgs {
		switch {
		case !slices.Contains(committed, body):
			bad = append(bad, body+": delivered, but never committed")
		case m.GetKeys() != "key-"+body || m.GetProperty("shop") != "s1" || m.MsgId != o.ids[body]:
			bad = append(bad, body+": delivered with other keys, properties or id")
		}
	}
	for _, body := range committed {
		if o.delivered.msgs[body] == nil {
			bad = append(bad, body+": committed, never delivered")
		}
	}
	if o.delivered.n != len(o.delivered.msgs) {
		bad = append(bad, fmt.Sprintf("%d deliveries of %d messages", o.delivered.n, len(o.delivered.msgs)))
	}
	slices.Sort(bad)
	return bad
}

// txnCheckMax is transactionCheckMax in the transaction flows' broker.
const txnCheckMax = 3

var txnConf = map[string]string{
	"transactionTimeOut": "1000", "transactionCheckInterval": "1000", "transactionCheckMax": strconv.Itoa(txnCheckMax),
}

// TestOfficialTransactionCheckBackOutcomes completes what
// TestOfficialTransactions covers with the other outcomes of a check-back,
// through the official transaction producer (transactionTimeOut and
// transactionCheckInterval 1 s, transactionCheckMax 3 in the broker config):
//   - a transaction still unknown at its first check and committed at the
//     next is delivered exactly once, after being checked at least twice;
//   - one rolled back at its check is never delivered and checked once
//     (later rounds see its op);
//   - one that stays unknown is checked exactly transactionCheckMax times,
//     then discarded to TRANS_CHECK_MAX_TIME_TOPIC and never delivered;
//   - commits and rollbacks decided at once are never checked;
//   - every check names the real topic and the producer's message id and
//     keeps the user's keys and properties.
func TestOfficialTransactionCheckBackOutcomes(t *testing.T) {
	c := startRealCluster(t, txnConf)
	o := txnFlow(t, c, "TxnCheck")
	require.Empty(t, txnViolations(o))
	require.Equal(t, int64(1), onBroker(c, func(b *server.Broker) int64 { return b.Store().MaxOffsetInQueue(transaction.CheckMaxTimeTopic, 0) }),
		"only the never-resolved transaction is discarded")
	require.Equal(t, int64(1), onBroker(c, func(b *server.Broker) int64 { return b.Transactions().Stats.Discarded }))

	l := o.l
	l.mu.Lock()
	defer l.mu.Unlock()
	require.NotContains(t, l.checks, "commit-1", "a transaction committed at once is never checked")
	require.NotContains(t, l.checks, "rollback-1", "a transaction rolled back at once is never checked")
	require.GreaterOrEqual(t, len(l.checks["late-commit-1"]), 2, "unknown at the first check, committed at a later one")
	require.Len(t, l.checks["late-rollback-1"], 1, "a rollback answered at a check ends the checks")
	require.Len(t, l.checks["forever-1"], txnCheckMax, "checked transactionCheckMax times, then discarded")
	for body, checks := range l.checks {
		for i, m := range checks {
			require.Equal(t, "TxnCheck", m.Topic, "%s check %d names the real topic", body, i)
			require.Equal(t, o.ids[body], m.GetProperty(primitive.PropertyUniqueClientMessageIdKeyIndex), "%s check %d", body, i)
			require.Equal(t, "key-"+body, m.GetKeys(), "%s check %d", body, i)
			require.Equal(t, "s1", m.GetProperty("shop"), "%s check %d", body, i)
		}
	}
}

// TestOfficialTransactionCheckCatchesRolledBackDelivery shows the
// judgement above failing: a broker with the rolled-back-delivered switch
// (the first rollback is turned into a commit) is caught by the same flow.
func TestOfficialTransactionCheckCatchesRolledBackDelivery(t *testing.T) {
	c := startRealClusterWithBugs(t, txnConf, bugs.Switches{DeliverRolledBack: true, Limit: 1})
	o := txnFlow(t, c, "TxnBug")
	require.Equal(t, []string{"rollback-1: delivered, but never committed"}, txnViolations(o))
	require.Equal(t, 1, onBroker(c, func(b *server.Broker) int { return b.Bugs().Fired(bugs.RolledBackDelivered) }))
}
