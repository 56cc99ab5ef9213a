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
)

// txnListener commits "commit-*", rolls back "rollback-*" and leaves
// "unknown-*" unknown until the broker checks back, then commits it.
type txnListener struct {
	mu      sync.Mutex
	checked []string
}

func (l *txnListener) ExecuteLocalTransaction(m *primitive.Message) primitive.LocalTransactionState {
	switch body := string(m.Body); {
	case strings.HasPrefix(body, "commit-"):
		return primitive.CommitMessageState
	case strings.HasPrefix(body, "rollback-"):
		return primitive.RollbackMessageState
	default:
		return primitive.UnkonwnState
	}
}

func (l *txnListener) CheckLocalTransaction(m *primitive.MessageExt) primitive.LocalTransactionState {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.checked = append(l.checked, string(m.Body))
	return primitive.CommitMessageState
}

// TestOfficialTransactions: the official transaction producer's commits are
// delivered, its rollbacks never are, and a transaction left unknown is
// resolved through the broker's check-back.
func TestOfficialTransactions(t *testing.T) {
	c := startRealCluster(t, map[string]string{"transactionTimeOut": "1000", "transactionCheckInterval": "1000"})
	createTopic(t, c, "Txn", 2)
	l := &txnListener{}
	p, err := producer.NewTransactionProducer(l,
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		producer.WithGroupName("txn-pg"), producer.WithRetry(1))
	require.NoError(t, err)
	require.NoError(t, p.Start())
	defer p.Shutdown()

	r := newReceived()
	pc := startPushConsumer(t, c, "txn-cg", "t1", "Txn", consumer.MessageSelector{}, r)
	defer pc.Shutdown()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, body := range []string{"commit-1", "rollback-1", "unknown-1", "commit-2", "rollback-2"} {
		res, err := p.SendMessageInTransaction(ctx, primitive.NewMessage("Txn", []byte(body)))
		require.NoError(t, err, body)
		require.Equal(t, primitive.SendOK, res.Status, body)
	}
	waitFor(t, 30*time.Second, func() bool { d, _ := r.count(); return d == 3 }, "the two commits and the checked-back one")
	time.Sleep(2 * time.Second) // nothing more arrives: rollbacks stay invisible, commits are not repeated
	d, total := r.count()
	require.Equal(t, 3, d)
	require.Equal(t, 3, total)
	for _, body := range []string{"commit-1", "commit-2", "unknown-1"} {
		require.NotNil(t, r.msgs[body], body)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	require.Contains(t, l.checked, "unknown-1")
	require.NotContains(t, l.checked, "commit-1")
}
