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
	"rocketsim/runtime"
)

// groupScenario is the simulator scenario: a name server, a broker,
// two producers, a clustering group of two instances and a broadcasting
// group of two, for simulated minutes. It returns the trace hash.
func groupScenario(t *testing.T, seed uint64) string {
	cl := clienttest.NewCluster(t, seed, clienttest.Options{BrokerConf: map[string]string{"flushDiskType": "SYNC_FLUSH"}})
	type prod struct {
		p     *producer.Producer
		acked map[string]client.Queue
	}
	var prods []*prod
	for i := 0; i < 2; i++ {
		pr := &prod{acked: map[string]client.Queue{}}
		prods = append(prods, pr)
		cl.AddClient(fmt.Sprintf("prod-%d", i), func(rt runtime.Runtime) (runtime.Node, error) {
			p, err := producer.New(rt, producer.Options{Group: "pg", NameServers: cl.NSAddrs})
			if err != nil {
				return nil, err
			}
			p.Start()
			pr.p = p
			n := 0
			var tick func()
			tick = func() {
				if n >= 150 {
					return
				}
				n++
				m := client.NewMessage("G", []byte(fmt.Sprintf("p%d-%d", i, n)))
				p.Send(m, func(r *producer.SendResult, err error) {
					if err == nil {
						pr.acked[r.MsgID] = r.Queue
					}
				})
				rt.AfterFunc(time.Duration(50+rt.Rand().IntN(100))*time.Millisecond, tick)
			}
			rt.AfterFunc(time.Second, tick)
			return &clienttest.Holder{RT: rt, OnStop: p.Shutdown}, nil
		})
	}
	type member struct {
		name  string
		ids   map[string]int
		order map[client.Queue][]int64
	}
	var clustering, broadcasting []*member
	add := func(group string, model consumer.Model, i int) *member {
		m := &member{name: fmt.Sprintf("%s-%d", group, i), ids: map[string]int{}, order: map[client.Queue][]int64{}}
		cl.AddClient(m.name, func(rt runtime.Runtime) (runtime.Node, error) {
			c, err := consumer.New(rt, consumer.Options{Group: group, NameServers: cl.NSAddrs, Model: model,
				ConsumeFrom: consumer.ConsumeFromFirstOffset})
			if err != nil {
				return nil, err
			}
			if err := c.Subscribe("G", "*", func(ms []*client.MessageExt, done func(consumer.Result)) {
				for _, x := range ms {
					m.ids[x.MsgID]++
					m.order[x.Queue()] = append(m.order[x.Queue()], x.QueueOffset)
				}
				done(consumer.Success)
			}); err != nil {
				return nil, err
			}
			return &clienttest.Holder{RT: rt, OnStop: func() { c.Shutdown(nil) }}, c.Start()
		})
		return m
	}
	// Create the topic first so both groups see its route at start.
	pn, p := newProducer(t, cl, "seed")
	sendAll(t, cl, pn, p, msgs("G", 1, nil), nil)
	for i := 0; i < 2; i++ {
		clustering = append(clustering, add("clu", consumer.Clustering, i))
		broadcasting = append(broadcasting, add("bro", consumer.Broadcasting, i))
	}
	cl.W.RunFor(3 * time.Minute)

	acked := map[string]bool{}
	for _, pr := range prods {
		for id := range pr.acked {
			acked[id] = true
		}
	}
	require.Len(t, acked, 300, "no faults: every send acknowledged")
	for id := range acked {
		n := 0
		for _, m := range clustering {
			n += m.ids[id]
		}
		require.Equal(t, 1, n, "clustering group: %s once", id)
		for _, m := range broadcasting {
			require.Equal(t, 1, m.ids[id], "broadcasting member %s: %s once", m.name, id)
		}
	}
	for _, m := range append(clustering, broadcasting...) {
		for q, offs := range m.order {
			for i := 1; i < len(offs); i++ {
				require.Equal(t, offs[i-1]+1, offs[i], "%s: queue %s in order", m.name, q)
			}
		}
	}
	return cl.W.TraceHash()
}

func TestGroupsScenarioDeliversEverythingInOrder(t *testing.T) {
	h1 := groupScenario(t, 81)
	h2 := groupScenario(t, 81)
	require.Equal(t, h1, h2, "same seed, same trace hash")
}
