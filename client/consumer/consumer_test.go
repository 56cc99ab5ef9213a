package consumer_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/client"
	"rocketsim/client/clienttest"
	"rocketsim/client/consumer"
	"rocketsim/client/producer"
	"rocketsim/runtime"
	"rocketsim/sim/simrt"
)

type prodNode struct {
	clienttest.Holder
	p *producer.Producer
}

func newProducer(t testing.TB, c *clienttest.Cluster, name string) (*simrt.Node, *producer.Producer) {
	n := c.AddClient(name, func(rt runtime.Runtime) (runtime.Node, error) {
		p, err := producer.New(rt, producer.Options{Group: "pg", NameServers: c.NSAddrs})
		if err != nil {
			return nil, err
		}
		p.Start()
		pn := &prodNode{p: p}
		pn.RT = rt
		pn.OnStop = p.Shutdown
		return pn, nil
	})
	return n, n.Value().(*prodNode).p
}

// sendAll sends the messages one after another and waits for every result.
func sendAll(t testing.TB, c *clienttest.Cluster, n *simrt.Node, p *producer.Producer, msgs []*client.Message, sel producer.Selector) []*producer.SendResult {
	t.Helper()
	results := make([]*producer.SendResult, len(msgs))
	errs := make([]error, len(msgs))
	left := len(msgs)
	n.Runtime().Post(func() {
		var next func(i int)
		next = func(i int) {
			if i == len(msgs) {
				return
			}
			cb := func(r *producer.SendResult, err error) {
				results[i], errs[i] = r, err
				left--
				next(i + 1)
			}
			if sel != nil {
				p.SendSelect(msgs[i], sel, cb)
			} else {
				p.Send(msgs[i], cb)
			}
		}
		next(0)
	})
	c.RunUntil("sends", func() bool { return left == 0 }, time.Minute)
	for i, err := range errs {
		require.NoError(t, err, "send %d", i)
	}
	return results
}

// received is what a consumer node saw.
type received struct {
	msgs []*client.MessageExt
	ids  map[string]int
}

type consNode struct {
	clienttest.Holder
	c   *consumer.Consumer
	got *received
}

func newConsumer(t testing.TB, cl *clienttest.Cluster, name string, mod func(*consumer.Options), topic, expr string,
	handler func(got *received, m []*client.MessageExt) consumer.Result) (*simrt.Node, *consNode) {
	n := cl.AddClient(name, func(rt runtime.Runtime) (runtime.Node, error) {
		opts := consumer.Options{Group: "cg", NameServers: cl.NSAddrs, ConsumeFrom: consumer.ConsumeFromFirstOffset}
		if mod != nil {
			mod(&opts)
		}
		c, err := consumer.New(rt, opts)
		if err != nil {
			return nil, err
		}
		cn := &consNode{c: c, got: &received{ids: map[string]int{}}}
		cn.RT = rt
		cn.OnStop = func() { c.Shutdown(nil) }
		if err := c.Subscribe(topic, expr, func(msgs []*client.MessageExt, done func(consumer.Result)) {
			r := handler(cn.got, msgs)
			if r == consumer.Success {
				for _, m := range msgs {
					cn.got.msgs = append(cn.got.msgs, m)
					cn.got.ids[m.MsgID]++
				}
			}
			done(r)
		}); err != nil {
			return nil, err
		}
		return cn, c.Start()
	})
	return n, n.Value().(*consNode)
}

func accept(*received, []*client.MessageExt) consumer.Result { return consumer.Success }

func msgs(topic string, n int, mod func(i int, m *client.Message)) []*client.Message {
	var out []*client.Message
	for i := 0; i < n; i++ {
		m := client.NewMessage(topic, []byte(fmt.Sprintf("%s-%d", topic, i)))
		if mod != nil {
			mod(i, m)
		}
		out = append(out, m)
	}
	return out
}

func TestSendConsumeAndCommitOffsets(t *testing.T) {
	cl := clienttest.NewCluster(t, 21, clienttest.Options{})
	pn, p := newProducer(t, cl, "prod")
	sent := sendAll(t, cl, pn, p, msgs("T", 40, nil), nil)

	cn, node := newConsumer(t, cl, "cons", nil, "T", "*", accept)
	cl.RunUntil("consume 40", func() bool { return len(node.got.ids) == 40 }, time.Minute)
	for _, r := range sent {
		require.Equal(t, 1, node.got.ids[r.MsgID], "message %s consumed once", r.MsgID)
	}
	// Offsets: every queue's committed offset is one past its last message.
	last := map[int]int64{}
	for _, r := range sent {
		last[r.Queue.QueueID] = max(last[r.Queue.QueueID], r.QueueOffset)
	}
	cl.W.RunFor(6 * time.Second) // a persist period
	for _, q := range node.c.Owned() {
		if q.Topic != "T" {
			continue
		}
		require.Equal(t, last[q.QueueID]+1, node.c.Committed(q), "queue %s", q)
	}
	require.Len(t, node.c.Owned(), 5, "4 queues of T and the retry queue")

	// A restarted consumer resumes from the committed offsets: it sees only
	// new messages.
	cn.Stop()
	cl.W.RunFor(time.Second)
	cn.Start()
	node = cn.Value().(*consNode)
	_ = cn
	more := sendAll(t, cl, pn, p, msgs("T", 8, nil), nil)
	cl.RunUntil("consume 8 more", func() bool { return len(node.got.ids) == 8 }, time.Minute)
	for _, r := range more {
		require.Equal(t, 1, node.got.ids[r.MsgID])
	}
	cl.W.RunFor(5 * time.Second)
	require.Len(t, node.got.msgs, 8, "nothing from before the restart")
}

func TestTwoConsumersShareQueues(t *testing.T) {
	cl := clienttest.NewCluster(t, 22, clienttest.Options{Brokers: 2})
	pn, p := newProducer(t, cl, "prod")
	sendAll(t, cl, pn, p, msgs("S", 16, nil), nil) // creates S on the brokers
	cl.W.RunFor(31 * time.Second)                  // both brokers registered S

	_, a := newConsumer(t, cl, "cons-a", nil, "S", "*", accept)
	_, b := newConsumer(t, cl, "cons-b", nil, "S", "*", accept)
	owned := func() (map[client.Queue]int, int) {
		m := map[client.Queue]int{}
		for _, q := range append(a.c.Owned(), b.c.Owned()...) {
			if q.Topic == "S" {
				m[q]++
			}
		}
		return m, len(a.c.Owned()) + len(b.c.Owned())
	}
	cl.RunUntil("rebalanced", func() bool {
		m, _ := owned()
		if len(m) != 8 {
			return false
		}
		for _, n := range m {
			if n != 1 {
				return false
			}
		}
		return len(a.c.Owned()) > 0 && len(b.c.Owned()) > 0
	}, 2*time.Minute)
	cl.W.RunFor(30 * time.Second)
	m, _ := owned()
	require.Len(t, m, 8, "every queue of S owned")
	for q, n := range m {
		require.Equal(t, 1, n, "queue %s owned by one member", q)
	}
	sent := sendAll(t, cl, pn, p, msgs("S", 40, nil), nil)
	cl.RunUntil("all consumed", func() bool { return len(a.got.ids)+len(b.got.ids) >= 56 }, time.Minute)
	for _, r := range sent {
		require.Equal(t, 1, a.got.ids[r.MsgID]+b.got.ids[r.MsgID], "message %s once across the group", r.MsgID)
	}
	require.NotEmpty(t, a.got.msgs)
	require.NotEmpty(t, b.got.msgs)
}

func TestRetryLaterRedelivers(t *testing.T) {
	cl := clienttest.NewCluster(t, 23, clienttest.Options{})
	pn, p := newProducer(t, cl, "prod")
	sent := sendAll(t, cl, pn, p, msgs("R", 4, nil), nil)
	attempts := map[string]int{}
	_, node := newConsumer(t, cl, "cons", nil, "R", "*", func(got *received, ms []*client.MessageExt) consumer.Result {
		m := ms[0]
		attempts[m.MsgID]++
		if attempts[m.MsgID] < 3 {
			return consumer.RetryLater
		}
		require.Equal(t, "R", m.Topic, "retried messages show their real topic")
		require.EqualValues(t, 2, m.ReconsumeTimes)
		return consumer.Success
	})
	cl.RunUntil("retried twice then consumed", func() bool { return len(node.got.ids) == 4 }, 5*time.Minute)
	for _, r := range sent {
		require.Equal(t, 3, attempts[r.MsgID], "message %s", r.MsgID)
		require.Equal(t, 1, node.got.ids[r.MsgID])
	}
	require.GreaterOrEqual(t, node.c.Stats.SentBack, 8)
}

func TestOrderlyPerShardingKey(t *testing.T) {
	cl := clienttest.NewCluster(t, 24, clienttest.Options{})
	pn, p := newProducer(t, cl, "prod")
	const keys, per = 6, 10
	ms := msgs("O", keys*per, func(i int, m *client.Message) {
		m.WithShardingKey("k"+strconv.Itoa(i%keys)).SetProperty("seq", strconv.Itoa(i/keys))
	})
	sendAll(t, cl, pn, p, ms, producer.Hash{})
	failedOnce := map[string]bool{}
	_, node := newConsumer(t, cl, "cons", func(o *consumer.Options) { o.Orderly = true }, "O", "*",
		func(got *received, ms []*client.MessageExt) consumer.Result {
			m := ms[0]
			// Fail each key's 3rd message once: the queue must wait for it.
			if m.Property("seq") == "3" && !failedOnce[m.MsgID] {
				failedOnce[m.MsgID] = true
				return consumer.RetryLater
			}
			return consumer.Success
		})
	cl.RunUntil("all consumed", func() bool { return len(node.got.ids) == keys*per }, 2*time.Minute)
	next := map[string]int{}
	for _, m := range node.got.msgs {
		k := m.ShardingKey()
		require.Equal(t, strconv.Itoa(next[k]), m.Property("seq"), "key %s in order", k)
		next[k]++
	}
	require.Len(t, failedOnce, keys)
}
