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
)

// Under a broker crash and restart (SYNC_FLUSH) and a partition between the
// consumer and the broker, every message the producer saw acknowledged is
// consumed at least once, and each queue's messages arrive in offset order
// per pull session.
func TestAckedMessagesSurviveBrokerCrashAndPartition(t *testing.T) {
	for _, seed := range []uint64{41, 42, 43} {
		for _, powerLoss := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/powerloss=%v", seed, powerLoss), func(t *testing.T) { survive(t, seed, powerLoss) })
		}
	}
}

func survive(t *testing.T, seed uint64, powerLoss bool) {
	{
		{
			cl := clienttest.NewCluster(t, seed, clienttest.Options{BrokerConf: map[string]string{"flushDiskType": "SYNC_FLUSH"}})
			pn, p := newProducer(t, cl, "prod")
			sendAll(t, cl, pn, p, msgs("F", 4, nil), nil) // create the topic
			cn, node := newConsumer(t, cl, "cons", nil, "F", "*", accept)

			acked := map[string]bool{}
			failed := 0
			i := 0
			var tick func()
			tick = func() {
				if i >= 300 {
					return
				}
				i++
				m := client.NewMessage("F", []byte(fmt.Sprintf("f-%d", i)))
				p.Send(m, func(r *producer.SendResult, err error) {
					if err != nil {
						failed++
						return
					}
					acked[r.MsgID] = true
				})
				pn.Runtime().AfterFunc(100*time.Millisecond, tick)
			}
			pn.Runtime().Post(tick)
			cl.W.At(cl.W.Now()+5*time.Second, func() {
				if powerLoss {
					cl.Brokers[0].PowerLoss()
				} else {
					cl.Brokers[0].Crash()
				}
			})
			cl.W.At(cl.W.Now()+9*time.Second, func() { cl.Brokers[0].Start() })
			cl.W.At(cl.W.Now()+15*time.Second, func() {
				cl.W.Net().Partition([]string{cn.Name()}, []string{cl.Brokers[0].Name()})
			})
			cl.W.At(cl.W.Now()+22*time.Second, func() { cl.W.Net().Heal() })
			cl.W.RunFor(40 * time.Second)
			require.Greater(t, len(acked), 100)
			cl.RunUntil("every acked message consumed", func() bool {
				for id := range acked {
					if node.got.ids[id] == 0 {
						return false
					}
				}
				return true
			}, 3*time.Minute)
			t.Logf("acked %d failed %d consumed %d (distinct %d) stats %+v", len(acked), failed,
				len(node.got.msgs), len(node.got.ids), node.c.Stats)
		}
	}
}

// Orderly consumption through a broker crash and restart: every
// acknowledged message arrives, and per sharding key the first deliveries
// come in send order (redeliveries after the crash may repeat a suffix).
func TestOrderlyThroughBrokerRestart(t *testing.T) {
	for _, seed := range []uint64{44, 45, 46, 47} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { orderlyThroughRestart(t, seed) })
	}
}

func orderlyThroughRestart(t *testing.T, seed uint64) {
	cl := clienttest.NewCluster(t, seed, clienttest.Options{BrokerConf: map[string]string{"flushDiskType": "SYNC_FLUSH"}})
	pn, p := newProducer(t, cl, "prod")
	sendAll(t, cl, pn, p, msgs("OR", 4, nil), nil)
	orderly := func(o *consumer.Options) { o.Orderly = true }
	_, a := newConsumer(t, cl, "cons-a", orderly, "OR", "*", accept)
	_, b := newConsumer(t, cl, "cons-b", orderly, "OR", "*", accept)

	const keys = 5
	acked := map[string]int{} // msgId -> seq
	keyOf := map[string]string{}
	seq := 0
	var tick func()
	tick = func() {
		if seq >= 200 {
			return
		}
		s := seq
		seq++
		key := fmt.Sprintf("k%d", s%keys)
		m := client.NewMessage("OR", []byte(fmt.Sprint(s))).WithShardingKey(key)
		p.SendSelect(m, producer.Hash{}, func(r *producer.SendResult, err error) {
			if err == nil {
				acked[r.MsgID] = s
				keyOf[r.MsgID] = key
			}
		})
		pn.Runtime().AfterFunc(100*time.Millisecond, tick)
	}
	pn.Runtime().Post(tick)
	cl.W.At(cl.W.Now()+6*time.Second, func() { cl.Brokers[0].Crash() })
	cl.W.At(cl.W.Now()+10*time.Second, func() { cl.Brokers[0].Start() })
	cl.W.RunFor(30 * time.Second)
	cl.RunUntil("every acked message consumed", func() bool {
		for id := range acked {
			if a.got.ids[id]+b.got.ids[id] == 0 {
				return false
			}
		}
		return true
	}, 3*time.Minute)
	for _, node := range []*consNode{a, b} {
		last := map[string]int{}
		seen := map[string]bool{}
		for _, m := range node.got.msgs {
			s, ok := acked[m.MsgID]
			if !ok || seen[m.MsgID] {
				continue
			}
			seen[m.MsgID] = true
			k := keyOf[m.MsgID]
			if prev, ok := last[k]; ok {
				require.Greater(t, s, prev, "key %s: first deliveries in send order", k)
			}
			last[k] = s
		}
	}
}
