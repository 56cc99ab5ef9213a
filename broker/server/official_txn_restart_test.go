package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/stretchr/testify/require"

	"rocketsim/broker/server"
)

// TestOfficialTransactionsAcrossBrokerRestart: transactions ended before a
// broker restart stay ended after it, and those still open are resolved by
// check-back after it. The official transaction producer commits one
// transaction, rolls one back and leaves two unknown; once the broker has
// recorded the commit and the rollback it is stopped and started again on
// its data directory. Then the committed transaction is delivered exactly
// once (recovery neither loses nor repeats it), the rolled-back one never,
// neither is checked, and the unknown ones are checked and resolved (one
// committed at its second check, delivered once; one rolled back, never
// delivered).
//
// The broker checks only while a producer of the group is connected, and
// the client's heartbeat comes every 30 s. The consumer shares the
// producer's client instance (same instance name, as one application's
// producer and consumer do), so its start sends a heartbeat for both right
// after the restart and the test needs no 30 s wait.
func TestOfficialTransactionsAcrossBrokerRestart(t *testing.T) {
	c := startRealCluster(t, map[string]string{
		"transactionTimeOut": "3000", "transactionCheckInterval": "1000", "transactionCheckMax": "15",
	})
	const topic, instance = "TxnRestart", "txn-app"
	createTopic(t, c, topic, 2)
	o := txnOutcome{ids: map[string]string{}, delivered: newReceived(), l: &checkingListener{checks: map[string][]*primitive.MessageExt{}}}
	p, err := producer.NewTransactionProducer(o.l,
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		producer.WithGroupName("txn-restart-pg"), producer.WithInstanceName(instance), producer.WithRetry(1))
	require.NoError(t, err)
	require.NoError(t, p.Start())
	defer p.Shutdown()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, body := range []string{"commit-1", "rollback-1", "late-commit-1", "late-rollback-1"} {
		m := primitive.NewMessage(topic, []byte(body))
		m.WithKeys([]string{"key-" + body})
		m.WithProperty("shop", "s1")
		res, err := p.SendMessageInTransaction(ctx, m)
		require.NoError(t, err, body)
		require.Equal(t, primitive.SendOK, res.Status, body)
		o.ids[body] = res.MsgID
	}
	// END_TRANSACTION is oneway: wait until the broker has recorded both
	// ends, so the restart tests their recovery, not their loss in flight.
	waitFor(t, 10*time.Second, func() bool {
		return onBroker(c, func(b *server.Broker) bool {
			st := b.Transactions().Stats
			return st.Commits >= 1 && st.Rollbacks >= 1
		})
	}, "the broker to record the commit and the rollback")
	if n := o.l.count("late-commit-1"); n > 0 {
		// transactionTimeOut is 3 s: only a very slow machine gets here.
		t.Logf("the late commit was checked %d times before the restart", n)
	}

	c.restartBroker(t)

	pc := startPushConsumer(t, c, "txn-restart-cg", instance, topic, consumer.MessageSelector{}, o.delivered)
	defer pc.Shutdown()
	waitFor(t, 30*time.Second, func() bool {
		_, ok := o.delivered.get("late-commit-1")
		_, early := o.delivered.get("commit-1")
		return ok && early && o.l.count("late-rollback-1") >= 1
	}, "the commit and the late commit to be delivered and the late rollback checked")
	// Two more check rounds: nothing else is delivered or checked.
	time.Sleep(2500 * time.Millisecond)

	require.Empty(t, txnViolations(o))
	o.l.mu.Lock()
	defer o.l.mu.Unlock()
	require.NotContains(t, o.l.checks, "commit-1", "a commit recorded before the restart is not checked after it")
	require.NotContains(t, o.l.checks, "rollback-1", "a rollback recorded before the restart is not checked after it")
	require.GreaterOrEqual(t, len(o.l.checks["late-commit-1"]), 2)
	require.Len(t, o.l.checks["late-rollback-1"], 1)
}
