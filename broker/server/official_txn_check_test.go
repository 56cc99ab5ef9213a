package server_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/stretchr/testify/require"

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
	const checkMax = 3
	c := startRealCluster(t, map[string]string{
		"transactionTimeOut": "1000", "transactionCheckInterval": "1000", "transactionCheckMax": "3",
	})
	createTopic(t, c, "TxnCheck", 2)
	l := &checkingListener{checks: map[string][]*primitive.MessageExt{}}
	p, err := producer.NewTransactionProducer(l,
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		producer.WithGroupName("txn-check-pg"), producer.WithRetry(1))
	require.NoError(t, err)
	require.NoError(t, p.Start())
	defer p.Shutdown()

	r := newReceived()
	pc := startPushConsumer(t, c, "txn-check-cg", "tc1", "TxnCheck", consumer.MessageSelector{}, r)
	defer pc.Shutdown()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bodies := []string{"commit-1", "rollback-1", "late-commit-1", "late-rollback-1", "forever-1"}
	ids := map[string]string{}
	for _, body := range bodies {
		m := primitive.NewMessage("TxnCheck", []byte(body))
		m.WithKeys([]string{"key-" + body})
		m.WithProperty("shop", "s1")
		res, err := p.SendMessageInTransaction(ctx, m)
		require.NoError(t, err, body)
		require.Equal(t, primitive.SendOK, res.Status, body)
		ids[body] = res.MsgID
	}

	discarded := func() int64 {
		return onBroker(c, func(b *server.Broker) int64 { return b.Store().MaxOffsetInQueue(transaction.CheckMaxTimeTopic, 0) })
	}
	waitFor(t, 30*time.Second, func() bool {
		d, _ := r.count()
		return d >= 2 && l.count("late-rollback-1") >= 1 && l.count("forever-1") >= checkMax && discarded() >= 1
	}, "the late commit to be delivered, the late rollback checked and the unknown one discarded")
	// Two more check rounds: nothing else is delivered or checked.
	time.Sleep(2500 * time.Millisecond)

	d, total := r.count()
	require.Equal(t, 2, d, "delivered: %v", keys(r))
	require.Equal(t, 2, total, "each commit delivered once")
	for _, body := range []string{"commit-1", "late-commit-1"} {
		require.NotNil(t, r.msgs[body], body)
		require.Equal(t, "key-"+body, r.msgs[body].GetKeys(), body)
		require.Equal(t, "s1", r.msgs[body].GetProperty("shop"), body)
	}
	require.Equal(t, int64(1), discarded(), "only the never-resolved transaction is discarded")
	require.Equal(t, int64(1), onBroker(c, func(b *server.Broker) int64 { return b.Transactions().Stats.Discarded }))

	l.mu.Lock()
	defer l.mu.Unlock()
	require.NotContains(t, l.checks, "commit-1", "a transaction committed at once is never checked")
	require.NotContains(t, l.checks, "rollback-1", "a transaction rolled back at once is never checked")
	require.GreaterOrEqual(t, len(l.checks["late-commit-1"]), 2, "unknown at the first check, committed at a later one")
	require.Len(t, l.checks["late-rollback-1"], 1, "a rollback answered at a check ends the checks")
	require.Len(t, l.checks["forever-1"], checkMax, "checked transactionCheckMax times, then discarded")
	for body, checks := range l.checks {
		for i, m := range checks {
			require.Equal(t, "TxnCheck", m.Topic, "%s check %d names the real topic", body, i)
			require.Equal(t, ids[body], m.GetProperty(primitive.PropertyUniqueClientMessageIdKeyIndex), "%s check %d", body, i)
			require.Equal(t, "key-"+body, m.GetKeys(), "%s check %d", body, i)
			require.Equal(t, "s1", m.GetProperty("shop"), "%s check %d", body, i)
		}
	}
}
