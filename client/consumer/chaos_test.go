package consumer_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/client"
	"rocketsim/client/clienttest"
	"rocketsim/client/consumer"
	"rocketsim/client/producer"
	"rocketsim/sim/simrt"
)

// Random faults (broker crash or power loss, consumer crashes, partitions
// between any client and the broker) for a simulated minute, then a heal:
// every acknowledged message reaches the clustering group at least once.
func TestChaosAtLeastOnce(t *testing.T) {
	for seed := uint64(100); seed < 106; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { chaos(t, seed) })
	}
}

func chaos(t *testing.T, seed uint64) {
	cl := clienttest.NewCluster(t, seed, clienttest.Options{Brokers: 2, BrokerConf: map[string]string{"flushDiskType": "SYNC_FLUSH"}})
	pn, p := newProducer(t, cl, "prod")
	sendAll(t, cl, pn, p, msgs("C", 8, nil), nil)
	an, _ := newConsumer(t, cl, "cons-a", nil, "C", "*", accept)
	bn, _ := newConsumer(t, cl, "cons-b", nil, "C", "*", accept)
	// Received ids survive consumer restarts: keep them outside the nodes.
	got := map[string]int{}
	collect := func(n *simrt.Node) {
		if v, ok := n.Value().(*consNode); ok {
			for id, k := range v.got.ids {
				got[id] += k
			}
			v.got.ids = map[string]int{}
		}
	}

	acked := map[string]bool{}
	i := 0
	var tick func()
	tick = func() {
		if i >= 400 {
			return
		}
		i++
		p.Send(client.NewMessage("C", []byte(fmt.Sprint(i))), func(r *producer.SendResult, err error) {
			if err == nil {
				acked[r.MsgID] = true
			}
		})
		pn.Runtime().AfterFunc(150*time.Millisecond, tick)
	}
	pn.Runtime().Post(tick)

	rng := cl.W.Rand("chaos")
	clients := []*simrt.Node{an, bn, pn}
	for step := 0; step < 12; step++ {
		at := cl.W.Now() + time.Duration(step)*5*time.Second + time.Duration(rng.IntN(4000))*time.Millisecond
		switch rng.IntN(4) {
		case 0:
			b := cl.Brokers[rng.IntN(len(cl.Brokers))]
			loss := rng.IntN(2) == 0
			cl.W.At(at, func() {
				if loss {
					b.PowerLoss()
				} else {
					b.Crash()
				}
			})
			cl.W.At(at+time.Duration(1+rng.IntN(5))*time.Second, b.Start)
		case 1:
			c := []*simrt.Node{an, bn}[rng.IntN(2)]
			cl.W.At(at, func() { collect(c); c.Crash() })
			cl.W.At(at+time.Duration(1+rng.IntN(5))*time.Second, c.Start)
		case 2:
			c := clients[rng.IntN(len(clients))]
			b := cl.Brokers[rng.IntN(len(cl.Brokers))]
			cl.W.At(at, func() { cl.W.Net().Partition([]string{c.Name()}, []string{b.Name()}) })
			cl.W.At(at+time.Duration(1+rng.IntN(6))*time.Second, cl.W.Net().Heal)
		}
	}
	cl.W.RunFor(90 * time.Second)
	cl.W.Net().Heal()
	for _, n := range append(cl.Brokers, an, bn) {
		if !n.Up() {
			n.Start()
		}
	}
	require.Greater(t, len(acked), 100)
	cl.RunUntil("every acked message consumed", func() bool {
		collect(an)
		collect(bn)
		for id := range acked {
			if got[id] == 0 {
				return false
			}
		}
		return true
	}, 5*time.Minute)
	dups := 0
	for id := range acked {
		dups += got[id] - 1
	}
	t.Logf("acked %d of %d, redelivered %d", len(acked), i, dups)
}

// Orderly consumption under the same kind of faults: across the group, the
// first delivery of each message of a sharding key comes in send order.
func TestChaosOrderlyFirstDeliveriesInOrder(t *testing.T) {
	for seed := uint64(200); seed < 206; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { chaosOrderly(t, seed) })
	}
}

func chaosOrderly(t *testing.T, seed uint64) {
	cl := clienttest.NewCluster(t, seed, clienttest.Options{BrokerConf: map[string]string{"flushDiskType": "SYNC_FLUSH"}})
	pn, p := newProducer(t, cl, "prod")
	sendAll(t, cl, pn, p, msgs("CO", 4, nil), producer.Hash{})
	// One shared log of deliveries in true order (the world runs on one
	// goroutine).
	var log []*client.MessageExt
	h := func(_ *received, ms []*client.MessageExt) consumer.Result {
		log = append(log, ms...)
		return consumer.Success
	}
	orderly := func(o *consumer.Options) { o.Orderly = true }
	an, _ := newConsumer(t, cl, "cons-a", orderly, "CO", "*", h)
	bn, _ := newConsumer(t, cl, "cons-b", orderly, "CO", "*", h)

	seq := map[string]int{}
	acked := map[string]bool{}
	i := 0
	var tick func()
	tick = func() {
		if i >= 300 {
			return
		}
		i++
		m := client.NewMessage("CO", []byte(fmt.Sprint(i))).WithShardingKey(fmt.Sprintf("k%d", i%6))
		s := i
		p.SendSelect(m, producer.Hash{}, func(r *producer.SendResult, err error) {
			if err == nil {
				acked[r.MsgID] = true
				seq[r.MsgID] = s
			}
		})
		pn.Runtime().AfterFunc(120*time.Millisecond, tick)
	}
	pn.Runtime().Post(tick)
	rng := cl.W.Rand("chaos-orderly")
	for step := 0; step < 8; step++ {
		at := cl.W.Now() + time.Duration(step)*5*time.Second + time.Duration(rng.IntN(3000))*time.Millisecond
		switch rng.IntN(3) {
		case 0:
			b := cl.Brokers[0]
			cl.W.At(at, b.Crash)
			cl.W.At(at+time.Duration(1+rng.IntN(4))*time.Second, b.Start)
		case 1:
			c := []*simrt.Node{an, bn}[rng.IntN(2)]
			cl.W.At(at, c.Crash)
			cl.W.At(at+time.Duration(1+rng.IntN(4))*time.Second, c.Start)
		case 2:
			c := []*simrt.Node{an, bn}[rng.IntN(2)]
			cl.W.At(at, func() { cl.W.Net().Partition([]string{c.Name()}, []string{cl.Brokers[0].Name()}) })
			cl.W.At(at+time.Duration(1+rng.IntN(5))*time.Second, cl.W.Net().Heal)
		}
	}
	cl.W.RunFor(60 * time.Second)
	cl.W.Net().Heal()
	for _, n := range []*simrt.Node{cl.Brokers[0], an, bn} {
		if !n.Up() {
			n.Start()
		}
	}
	seen := map[string]bool{}
	cl.RunUntil("every acked message delivered", func() bool {
		for _, m := range log {
			seen[m.MsgID] = true
		}
		for id := range acked {
			if !seen[id] {
				return false
			}
		}
		return true
	}, 5*time.Minute)
	first := map[string]bool{}
	last := map[string]int{}
	for _, m := range log {
		s, ok := seq[m.MsgID]
		if !ok || first[m.MsgID] {
			continue
		}
		first[m.MsgID] = true
		k := m.ShardingKey()
		require.Greater(t, s, last[k], "key %s: message %d first delivered after %d", k, s, last[k])
		last[k] = s
	}
}
