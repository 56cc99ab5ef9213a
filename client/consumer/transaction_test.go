package consumer_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/client"
	"rocketsim/client/clienttest"
	"rocketsim/client/producer"
	"rocketsim/runtime"
)

// txListener decides by the message body: "commit", "rollback", or
// "unknown" (then commits when the broker checks back).
type txListener struct{ checks int }

func (l *txListener) Execute(m *client.Message, _ *producer.SendResult, done func(producer.TransactionState)) {
	switch string(m.Body) {
	case "commit":
		done(producer.TransactionCommit)
	case "rollback":
		done(producer.TransactionRollback)
	default:
		done(producer.TransactionUnknown)
	}
}

func (l *txListener) Check(m *client.MessageExt, done func(producer.TransactionState)) {
	l.checks++
	done(producer.TransactionCommit)
}

func TestTransactionalSend(t *testing.T) {
	cl := clienttest.NewCluster(t, 61, clienttest.Options{BrokerConf: map[string]string{
		"transactionTimeOut": "2000", "transactionCheckInterval": "2000"}})
	l := &txListener{}
	pn := cl.AddClient("txprod", func(rt runtime.Runtime) (runtime.Node, error) {
		p, err := producer.New(rt, producer.Options{Group: "txg", NameServers: cl.NSAddrs, Transactions: l})
		if err != nil {
			return nil, err
		}
		p.Start()
		return &prodNode{p: p, Holder: clienttest.Holder{RT: rt, OnStop: p.Shutdown}}, nil
	})
	p := pn.Value().(*prodNode).p
	sendTx := func(body string) *producer.TransactionResult {
		var res *producer.TransactionResult
		var err error
		done := false
		pn.Runtime().Post(func() {
			p.SendInTransaction(client.NewMessage("TX", []byte(body)), func(r *producer.TransactionResult, e error) { res, err, done = r, e, true })
		})
		cl.RunUntil("tx send", func() bool { return done }, 10*time.Second)
		require.NoError(t, err)
		return res
	}
	c := sendTx("commit")
	require.Equal(t, producer.TransactionCommit, c.State)
	r := sendTx("rollback")
	require.Equal(t, producer.TransactionRollback, r.State)
	u := sendTx("unknown")
	require.Equal(t, producer.TransactionUnknown, u.State)

	_, node := newConsumer(t, cl, "cons", nil, "TX", "*", accept)
	cl.RunUntil("committed and checked-back messages consumed", func() bool {
		return node.got.ids[c.MsgID] == 1 && node.got.ids[u.MsgID] == 1
	}, 2*time.Minute)
	cl.W.RunFor(10 * time.Second)
	require.Zero(t, node.got.ids[r.MsgID], "rolled back")
	require.GreaterOrEqual(t, l.checks, 1)
}
