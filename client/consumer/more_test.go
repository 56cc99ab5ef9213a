package consumer_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/client"
	"rocketsim/client/clienttest"
	"rocketsim/client/consumer"
	"rocketsim/client/producer"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// workload runs a producer and two clustering consumers with retries and
// returns the world's trace hash and what was consumed.
func workload(t *testing.T, seed uint64) (string, int) {
	cl := clienttest.NewCluster(t, seed, clienttest.Options{Brokers: 2})
	pn, p := newProducer(t, cl, "prod")
	sendAll(t, cl, pn, p, msgs("D", 20, nil), nil)
	fail := map[string]bool{}
	h := func(got *received, ms []*client.MessageExt) consumer.Result {
		if ms[0].Property("UNIQ_KEY")[31]%3 == 0 && !fail[ms[0].MsgID] {
			fail[ms[0].MsgID] = true
			return consumer.RetryLater
		}
		return consumer.Success
	}
	_, a := newConsumer(t, cl, "cons-a", nil, "D", "*", h)
	_, b := newConsumer(t, cl, "cons-b", nil, "D", "*", h)
	sendAll(t, cl, pn, p, msgs("D", 20, nil), nil)
	cl.W.RunFor(2 * time.Minute)
	return cl.W.TraceHash(), len(a.got.msgs) + len(b.got.msgs)
}

func TestSameSeedSameTrace(t *testing.T) {
	h1, n1 := workload(t, 31)
	h2, n2 := workload(t, 31)
	require.Equal(t, h1, h2, "same seed, same trace hash")
	require.Equal(t, n1, n2)
	require.GreaterOrEqual(t, n1, 40)
	h3, _ := workload(t, 32)
	require.NotEqual(t, h1, h3, "the seed matters")
}

func TestBroadcastingEveryMemberGetsEverythingAndResumesLocally(t *testing.T) {
	cl := clienttest.NewCluster(t, 33, clienttest.Options{})
	pn, p := newProducer(t, cl, "prod")
	first := sendAll(t, cl, pn, p, msgs("BC", 12, nil), nil)
	bcast := func(o *consumer.Options) { o.Model = consumer.Broadcasting }
	an, a := newConsumer(t, cl, "cons-a", bcast, "BC", "*", accept)
	_, b := newConsumer(t, cl, "cons-b", bcast, "BC", "*", accept)
	cl.RunUntil("both consume all", func() bool { return len(a.got.ids) == 12 && len(b.got.ids) == 12 }, time.Minute)
	for _, r := range first {
		require.Equal(t, 1, a.got.ids[r.MsgID])
		require.Equal(t, 1, b.got.ids[r.MsgID])
	}
	require.Len(t, a.c.Owned(), 4, "broadcasting: every queue, no retry topic")

	// A graceful restart resumes from the offsets on the member's own disk.
	cl.W.RunFor(6 * time.Second)
	an.Stop()
	second := sendAll(t, cl, pn, p, msgs("BC", 6, nil), nil)
	an.Start()
	a = an.Value().(*consNode)
	cl.RunUntil("resumed", func() bool { return len(a.got.ids) == 6 }, time.Minute)
	cl.W.RunFor(5 * time.Second)
	require.Len(t, a.got.msgs, 6, "only what it had not consumed")
	for _, r := range second {
		require.Equal(t, 1, a.got.ids[r.MsgID])
	}
}

func TestConsumeFromLastOffsetSkipsHistory(t *testing.T) {
	cl := clienttest.NewCluster(t, 34, clienttest.Options{})
	pn, p := newProducer(t, cl, "prod")
	// Enough history that the broker's young-queue rule (start at 0 while
	// the first message is in memory) is not what decides: we only check
	// the new messages all arrive and the group did not read from before
	// it existed when the broker says where the end is.
	sendAll(t, cl, pn, p, msgs("LAST", 8, nil), nil)
	_, node := newConsumer(t, cl, "cons", func(o *consumer.Options) { o.ConsumeFrom = consumer.ConsumeFromLastOffset }, "LAST", "*", accept)
	cl.W.RunFor(5 * time.Second)
	before := len(node.got.msgs)
	fresh := sendAll(t, cl, pn, p, msgs("LAST", 8, func(i int, m *client.Message) { m.SetProperty("fresh", strconv.Itoa(i)) }), nil)
	cl.RunUntil("fresh consumed", func() bool {
		for _, r := range fresh {
			if node.got.ids[r.MsgID] == 0 {
				return false
			}
		}
		return true
	}, time.Minute)
	require.Contains(t, []int{0, 8}, before, "either the young-queue rule (all history) or none of it")
}

func TestTagFilterOnClient(t *testing.T) {
	cl := clienttest.NewCluster(t, 35, clienttest.Options{})
	pn, p := newProducer(t, cl, "prod")
	sendAll(t, cl, pn, p, msgs("TG", 30, func(i int, m *client.Message) { m.WithTag([]string{"a", "b", "c"}[i%3]) }), nil)
	_, node := newConsumer(t, cl, "cons", nil, "TG", "a || c", accept)
	cl.RunUntil("20 consumed", func() bool { return len(node.got.ids) == 20 }, time.Minute)
	cl.W.RunFor(10 * time.Second)
	require.Len(t, node.got.msgs, 20)
	for _, m := range node.got.msgs {
		require.NotEqual(t, "b", m.Tag())
	}
}

func TestOrderlyTwoMembersDeadLetterAfterMaxRetries(t *testing.T) {
	cl := clienttest.NewCluster(t, 36, clienttest.Options{})
	pn, p := newProducer(t, cl, "prod")
	const keys, per = 4, 6
	ms := msgs("OD", keys*per, func(i int, m *client.Message) {
		m.WithShardingKey("k"+strconv.Itoa(i%keys)).SetProperty("seq", strconv.Itoa(i/keys))
	})
	sent := sendAll(t, cl, pn, p, ms, producer.Hash{})
	poison := sent[keys*2].MsgID // key 0's third message never succeeds
	attempts := 0
	h := func(got *received, ms []*client.MessageExt) consumer.Result {
		if ms[0].MsgID == poison {
			attempts++
			return consumer.RetryLater
		}
		return consumer.Success
	}
	orderly := func(o *consumer.Options) { o.Orderly = true; o.MaxReconsumeTimes = 3 }
	_, a := newConsumer(t, cl, "cons-a", orderly, "OD", "*", h)
	_, b := newConsumer(t, cl, "cons-b", orderly, "OD", "*", h)
	cl.RunUntil("all but the poison consumed", func() bool { return len(a.got.ids)+len(b.got.ids) == keys*per-1 }, 3*time.Minute)
	require.Equal(t, 4, attempts, "first try and 3 local retries, then the dead-letter queue")
	for _, node := range []*consNode{a, b} {
		next := map[string]int{}
		for _, m := range node.got.msgs {
			k := m.ShardingKey()
			if k == "k0" && next[k] == 2 {
				next[k]++ // the poison went to the DLQ
			}
			require.Equal(t, strconv.Itoa(next[k]), m.Property("seq"), "key %s in order", k)
			next[k]++
		}
	}
	require.GreaterOrEqual(t, a.c.Stats.SentBack+b.c.Stats.SentBack, 1)
	// Each queue is held by one member.
	owned := map[client.Queue]int{}
	for _, q := range append(a.c.Owned(), b.c.Owned()...) {
		owned[q]++
	}
	for q, n := range owned {
		require.Equal(t, 1, n, "queue %s", q)
	}
}

// A member that shuts down gracefully unregisters; the broker tells the
// rest of the group, which takes its queues at once rather than at the
// next periodic rebalance.
func TestGracefulLeaveHandsQueuesOverQuickly(t *testing.T) {
	cl := clienttest.NewCluster(t, 37, clienttest.Options{})
	pn, p := newProducer(t, cl, "prod")
	sendAll(t, cl, pn, p, msgs("GL", 4, nil), nil)
	_, a := newConsumer(t, cl, "cons-a", nil, "GL", "*", accept)
	bn, b := newConsumer(t, cl, "cons-b", nil, "GL", "*", accept)
	topicQueues := func(n *consNode) int {
		k := 0
		for _, q := range n.c.Owned() {
			if q.Topic == "GL" {
				k++
			}
		}
		return k
	}
	cl.RunUntil("split", func() bool { return topicQueues(a) == 2 && topicQueues(b) == 2 }, time.Minute)
	bn.Stop()
	left := cl.W.Now()
	cl.RunUntil("a owns all", func() bool { return topicQueues(a) == 4 }, time.Minute)
	require.Less(t, cl.W.Now()-left, 5*time.Second, "handover by notification, not the 20 s rebalance")
	more := sendAll(t, cl, pn, p, msgs("GL", 8, nil), nil)
	cl.RunUntil("a consumes the new messages", func() bool {
		for _, r := range more {
			if a.got.ids[r.MsgID] == 0 {
				return false
			}
		}
		return true
	}, time.Minute)
}

func TestSQL92Subscription(t *testing.T) {
	cl := clienttest.NewCluster(t, 38, clienttest.Options{BrokerConf: map[string]string{"enablePropertyFilter": "true"}})
	pn, p := newProducer(t, cl, "prod")
	sendAll(t, cl, pn, p, msgs("SQ", 10, func(i int, m *client.Message) { m.SetProperty("a", strconv.Itoa(i)) }), nil)
	var got []string
	cl.AddClient("cons", func(rt runtime.Runtime) (runtime.Node, error) {
		c, err := consumer.New(rt, consumer.Options{Group: "sq", NameServers: cl.NSAddrs, ConsumeFrom: consumer.ConsumeFromFirstOffset})
		if err != nil {
			return nil, err
		}
		if err := c.SubscribeType("SQ", "a >= 6 AND a <> 8", "SQL92", func(ms []*client.MessageExt, done func(consumer.Result)) {
			for _, m := range ms {
				got = append(got, m.Property("a"))
			}
			done(consumer.Success)
		}); err != nil {
			return nil, err
		}
		return &clienttest.Holder{RT: rt}, c.Start()
	})
	cl.RunUntil("3 matches", func() bool { return len(got) == 3 }, time.Minute)
	cl.W.RunFor(10 * time.Second)
	slices.Sort(got)
	require.Equal(t, []string{"6", "7", "9"}, got)
}

// A message that always fails is retried MaxReconsumeTimes times through
// the retry topic, then lands in the group's dead-letter queue.
func TestConcurrentRetryEndsInDLQ(t *testing.T) {
	cl := clienttest.NewCluster(t, 39, clienttest.Options{})
	pn, p := newProducer(t, cl, "prod")
	sent := sendAll(t, cl, pn, p, msgs("DL", 1, nil), nil)
	attempts := 0
	_, node := newConsumer(t, cl, "cons", func(o *consumer.Options) { o.MaxReconsumeTimes = 3 }, "DL", "*",
		func(*received, []*client.MessageExt) consumer.Result { attempts++; return consumer.RetryLater })
	cl.RunUntil("4 attempts", func() bool { return attempts == 4 }, 10*time.Minute)
	cl.W.RunFor(5 * time.Minute)
	require.Equal(t, 4, attempts, "first try and 3 retries")

	var dlq []*client.MessageExt
	cl.AddClient("dlq-reader", func(rt runtime.Runtime) (runtime.Node, error) {
		c, err := consumer.New(rt, consumer.Options{Group: "dlq-reader", NameServers: cl.NSAddrs, ConsumeFrom: consumer.ConsumeFromFirstOffset})
		if err != nil {
			return nil, err
		}
		if err := c.Subscribe("%DLQ%cg", "*", func(ms []*client.MessageExt, done func(consumer.Result)) {
			dlq = append(dlq, ms...)
			done(consumer.Success)
		}); err != nil {
			return nil, err
		}
		return &clienttest.Holder{RT: rt}, c.Start()
	})
	cl.RunUntil("dead letter read", func() bool { return len(dlq) == 1 }, 2*time.Minute)
	require.Equal(t, sent[0].MsgID, dlq[0].MsgID)
	require.Equal(t, "DL-0", string(dlq[0].Body))
	require.GreaterOrEqual(t, node.c.Stats.SentBack, 4)
}

// A member that crashes loses its queues to the others once the broker
// sees its connection die; nothing sent afterwards is lost.
func TestCrashedMemberQueuesTakenOver(t *testing.T) {
	cl := clienttest.NewCluster(t, 40, clienttest.Options{})
	pn, p := newProducer(t, cl, "prod")
	sendAll(t, cl, pn, p, msgs("CR", 4, nil), nil)
	_, a := newConsumer(t, cl, "cons-a", nil, "CR", "*", accept)
	bn, b := newConsumer(t, cl, "cons-b", nil, "CR", "*", accept)
	count := func(n *consNode) int {
		k := 0
		for _, q := range n.c.Owned() {
			if q.Topic == "CR" {
				k++
			}
		}
		return k
	}
	cl.RunUntil("split", func() bool { return count(a) == 2 && count(b) == 2 }, time.Minute)
	bn.Crash()
	more := sendAll(t, cl, pn, p, msgs("CR", 12, nil), nil)
	cl.RunUntil("a owns all", func() bool { return count(a) == 4 }, 3*time.Minute)
	cl.RunUntil("a consumes what b would have", func() bool {
		for _, r := range more {
			if a.got.ids[r.MsgID]+b.got.ids[r.MsgID] == 0 {
				return false
			}
		}
		return true
	}, 3*time.Minute)
}

// An operator's reset (INVOKE_BROKER_TO_RESET_OFFSET) reaches the running
// consumer, which consumes again from the reset offsets.
func TestResetOffsetByTimeReconsumes(t *testing.T) {
	cl := clienttest.NewCluster(t, 53, clienttest.Options{})
	pn, p := newProducer(t, cl, "prod")
	sent := sendAll(t, cl, pn, p, msgs("RS", 10, nil), nil)
	_, node := newConsumer(t, cl, "cons", nil, "RS", "*", accept)
	cl.RunUntil("consumed once", func() bool { return len(node.got.msgs) == 10 }, time.Minute)
	cl.W.RunFor(6 * time.Second)

	ep := remoting.NewEndpoint(pn.Runtime(), remoting.Options{})
	var resp *remoting.Command
	cl.Post(pn, func() {
		req := remoting.NewRequest(remoting.ReqInvokeBrokerToResetOffset, map[string]string{
			"topic": "RS", "group": "cg", "timestamp": "0", "isForce": "true"})
		require.NoError(t, ep.Invoke(ep.ConnTo(cl.BrokerAddrs[0]), req, 5*time.Second, func(r *remoting.Command, err error) {
			require.NoError(t, err)
			resp = r
		}))
	})
	cl.RunUntil("reset answered", func() bool { return resp != nil }, 10*time.Second)
	require.Equal(t, remoting.RespSuccess, resp.Code, resp.Remark)
	cl.RunUntil("consumed again", func() bool { return len(node.got.msgs) == 20 }, time.Minute)
	for _, r := range sent {
		require.Equal(t, 2, node.got.ids[r.MsgID])
	}
}
