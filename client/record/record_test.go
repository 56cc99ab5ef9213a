package record_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/client"
	"rocketsim/client/clienttest"
	"rocketsim/client/consumer"
	"rocketsim/client/producer"
	"rocketsim/client/record"
	"rocketsim/jepsen/check"
	"rocketsim/jepsen/history"
	"rocketsim/runtime"
	"rocketsim/sim/simrt"
)

// A run with our clients through a broker crash and a partition, recorded
// and judged by the checkers: well-formed, nothing acknowledged lost, each
// queue FIFO for the orderly group, per-key order with no gaps.
func TestRecordedRunPassesCheckers(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { recordedRun(t, seed) })
	}
}

func recordedRun(t *testing.T, seed uint64) {
	cl := clienttest.NewCluster(t, seed, clienttest.Options{BrokerConf: map[string]string{"flushDiskType": "SYNC_FLUSH"}})
	h := history.NewRecorder()
	simTime := func() time.Duration { return cl.W.Now() }

	var p *producer.Producer
	var rec *record.Recorder
	pn := cl.AddClient("prod", func(rt runtime.Runtime) (runtime.Node, error) {
		var err error
		p, err = producer.New(rt, producer.Options{Group: "pg", NameServers: cl.NSAddrs})
		if err != nil {
			return nil, err
		}
		p.Start()
		rec = record.New(rt, h, "prod")
		rec.SimTime = simTime
		return &clienttest.Holder{RT: rt, OnStop: p.Shutdown}, nil
	})
	addConsumer := func(name, group string, orderly bool) *simrt.Node {
		return cl.AddClient(name, func(rt runtime.Runtime) (runtime.Node, error) {
			c, err := consumer.New(rt, consumer.Options{Group: group, NameServers: cl.NSAddrs,
				ConsumeFrom: consumer.ConsumeFromFirstOffset, Orderly: orderly})
			if err != nil {
				return nil, err
			}
			r := record.New(rt, h, name)
			r.SimTime = simTime
			if err := c.Subscribe("H", "*", r.Handler(group, func(_ []*client.MessageExt, done func(consumer.Result)) {
				done(consumer.Success)
			})); err != nil {
				return nil, err
			}
			return &clienttest.Holder{RT: rt, OnStop: func() { c.Shutdown(nil) }}, c.Start()
		})
	}
	// The topic exists before the consumers start.
	created := false
	pn.Runtime().Post(func() {
		require.NoError(t, rec.Send(p, client.NewMessage("H", []byte("first")).WithKeys("k-first").WithShardingKey("s0"),
			producer.Hash{}, func(*producer.SendResult, error) { created = true }))
	})
	cl.RunUntil("topic", func() bool { return created }, 10*time.Second)
	addConsumer("ca", "plain", false)
	addConsumer("cb", "plain", false)
	addConsumer("oa", "ordered", true)

	i := 0
	var tick func()
	tick = func() {
		if i >= 300 {
			return
		}
		i++
		m := client.NewMessage("H", []byte(fmt.Sprint(i))).WithKeys(fmt.Sprintf("k-%d", i)).WithShardingKey(fmt.Sprintf("s%d", i%7))
		require.NoError(t, rec.Send(p, m, producer.Hash{}, nil))
		pn.Runtime().AfterFunc(80*time.Millisecond, tick)
	}
	pn.Runtime().Post(tick)
	cl.W.At(cl.W.Now()+6*time.Second, func() { cl.Brokers[0].Crash() })
	cl.W.At(cl.W.Now()+9*time.Second, func() { cl.Brokers[0].Start() })
	cl.W.RunFor(2 * time.Minute)

	ops := h.Ops()
	wf := check.WellFormed(ops)
	require.Equal(t, check.Pass, wf.Verdict, "%v", wf.Reasons)
	d := check.Delivery(ops, check.DeliveryOptions{Groups: []string{"plain", "ordered"}})
	require.Equal(t, check.Pass, d.Verdict, "%v %v", d.Reasons, d.Counts)
	o := check.Ordering(ops, check.OrderingOptions{FIFOGroups: []string{"ordered"}, OrderlyGroups: []string{"ordered"}})
	require.Equal(t, check.Pass, o.Verdict, "%v %v", o.Reasons, o.Anomalies)
	t.Logf("delivery %v", d.Counts)
}

type bodyTx struct{}

func (bodyTx) Execute(m *client.Message, _ *producer.SendResult, done func(producer.TransactionState)) {
	switch string(m.Body) {
	case "commit":
		done(producer.TransactionCommit)
	case "rollback":
		done(producer.TransactionRollback)
	default:
		done(producer.TransactionUnknown)
	}
}

func (bodyTx) Check(m *client.MessageExt, done func(producer.TransactionState)) {
	done(producer.TransactionCommit)
}

// Recorded transactions (commit, rollback, unknown then checked back) pass
// the transaction checker.
func TestRecordedTransactionsPassChecker(t *testing.T) {
	cl := clienttest.NewCluster(t, 5, clienttest.Options{BrokerConf: map[string]string{
		"transactionTimeOut": "2000", "transactionCheckInterval": "2000"}})
	h := history.NewRecorder()
	var p *producer.Producer
	var rec *record.Recorder
	pn := cl.AddClient("txprod", func(rt runtime.Runtime) (runtime.Node, error) {
		rec = record.New(rt, h, "txprod")
		var err error
		p, err = producer.New(rt, producer.Options{Group: "txg", NameServers: cl.NSAddrs, Transactions: rec.Transactions(bodyTx{})})
		if err != nil {
			return nil, err
		}
		p.Start()
		return &clienttest.Holder{RT: rt, OnStop: p.Shutdown}, nil
	})
	left := 0
	for i, body := range []string{"commit", "rollback", "unknown", "commit", "unknown"} {
		left++
		m := client.NewMessage("TXH", []byte(body)).WithKeys(fmt.Sprintf("tx-%d", i))
		pn.Runtime().Post(func() {
			require.NoError(t, rec.SendInTransaction(p, m, func(_ *producer.TransactionResult, err error) {
				require.NoError(t, err)
				left--
			}))
		})
		cl.RunUntil("tx", func() bool { return left == 0 }, 10*time.Second)
	}
	cl.AddClient("cons", func(rt runtime.Runtime) (runtime.Node, error) {
		c, err := consumer.New(rt, consumer.Options{Group: "txc", NameServers: cl.NSAddrs, ConsumeFrom: consumer.ConsumeFromFirstOffset})
		if err != nil {
			return nil, err
		}
		r := record.New(rt, h, "cons")
		if err := c.Subscribe("TXH", "*", r.Handler("txc", func(_ []*client.MessageExt, done func(consumer.Result)) { done(consumer.Success) })); err != nil {
			return nil, err
		}
		return &clienttest.Holder{RT: rt}, c.Start()
	})
	cl.W.RunFor(2 * time.Minute)
	ops := h.Ops()
	res := check.Transactions(ops, check.TxnOptions{Groups: []string{"txc"}})
	require.Equal(t, check.Pass, res.Verdict, "%v %v %v", res.Reasons, res.Counts, res.Anomalies)
	checks := 0
	for _, o := range ops {
		if o.F == history.FCheck {
			checks++
		}
	}
	require.GreaterOrEqual(t, checks, 2, "both unknown transactions were checked back")
	t.Logf("%v", res.Counts)
}

// Failed consumption retried through the broker and dead-lettered, as
// recorded, passes the retry checker (delays, attempt count, DLQ).
func TestRecordedRetriesPassChecker(t *testing.T) {
	cl := clienttest.NewCluster(t, 6, clienttest.Options{})
	h := history.NewRecorder()
	var p *producer.Producer
	var rec *record.Recorder
	pn := cl.AddClient("prod", func(rt runtime.Runtime) (runtime.Node, error) {
		var err error
		p, err = producer.New(rt, producer.Options{Group: "pg", NameServers: cl.NSAddrs})
		if err != nil {
			return nil, err
		}
		p.Start()
		rec = record.New(rt, h, "prod")
		return &clienttest.Holder{RT: rt, OnStop: p.Shutdown}, nil
	})
	left := 6
	pn.Runtime().Post(func() {
		for i := 0; i < 6; i++ {
			m := client.NewMessage("RT", []byte(fmt.Sprint(i))).WithKeys(fmt.Sprintf("r-%d", i))
			require.NoError(t, rec.Send(p, m, nil, func(_ *producer.SendResult, err error) { require.NoError(t, err); left-- }))
		}
	})
	cl.RunUntil("sent", func() bool { return left == 0 }, 10*time.Second)
	tries := map[string]int{}
	cl.AddClient("cons", func(rt runtime.Runtime) (runtime.Node, error) {
		c, err := consumer.New(rt, consumer.Options{Group: "rg", NameServers: cl.NSAddrs,
			ConsumeFrom: consumer.ConsumeFromFirstOffset, MaxReconsumeTimes: 2})
		if err != nil {
			return nil, err
		}
		r := record.New(rt, h, "cons")
		if err := c.Subscribe("RT", "*", r.Handler("rg", func(ms []*client.MessageExt, done func(consumer.Result)) {
			k := record.Key(&ms[0].Message)
			tries[k]++
			// Even keys succeed on the second try; odd ones always fail.
			if k[len(k)-1]%2 == 0 && tries[k] == 2 {
				done(consumer.Success)
				return
			}
			done(consumer.RetryLater)
		})); err != nil {
			return nil, err
		}
		return &clienttest.Holder{RT: rt}, c.Start()
	})
	cl.W.RunFor(3 * time.Minute)
	cl.AddClient("dlq", func(rt runtime.Runtime) (runtime.Node, error) {
		c, err := consumer.New(rt, consumer.Options{Group: "dlq-reader", NameServers: cl.NSAddrs, ConsumeFrom: consumer.ConsumeFromFirstOffset})
		if err != nil {
			return nil, err
		}
		r := record.New(rt, h, "dlq")
		if err := c.Subscribe("%DLQ%rg", "*", r.DLQHandler("rg")); err != nil {
			return nil, err
		}
		return &clienttest.Holder{RT: rt}, c.Start()
	})
	cl.W.RunFor(time.Minute)
	ops := h.Ops()
	// The broker schedules delays on millisecond timestamps, so a retry may
	// come up to a millisecond before the consumer's nanosecond clock says.
	res := check.Retry(ops, check.RetryOptions{MaxReconsumeTimes: 2, RequireDLQ: true, ClockError: 2 * time.Millisecond})
	require.Equal(t, check.Pass, res.Verdict, "%v %v %v", res.Reasons, res.Counts, res.Anomalies)
	d := check.Delivery(ops, check.DeliveryOptions{Groups: []string{"rg"}})
	require.Equal(t, check.Pass, d.Verdict, "%v %v", d.Reasons, d.Counts)
	require.EqualValues(t, 3, d.Counts["dead_lettered"], "%v", d.Counts)
	t.Logf("retry %v", res.Counts)
}
