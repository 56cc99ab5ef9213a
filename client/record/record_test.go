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
