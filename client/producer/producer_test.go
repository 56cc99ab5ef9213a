package producer_test

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/client"
	"rocketsim/client/clienttest"
	"rocketsim/client/producer"
	"rocketsim/remoting"
	"rocketsim/runtime"
	"rocketsim/sim/simrt"
)

type prodNode struct {
	clienttest.Holder
	p *producer.Producer
}

func newProducer(t *testing.T, c *clienttest.Cluster, name string, mod func(*producer.Options)) (*simrt.Node, *producer.Producer) {
	n := c.AddClient(name, func(rt runtime.Runtime) (runtime.Node, error) {
		opts := producer.Options{Group: "pg", NameServers: c.NSAddrs, ClientIP: "10.0.2.9"}
		if mod != nil {
			mod(&opts)
		}
		p, err := producer.New(rt, opts)
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

type outcome struct {
	res  *producer.SendResult
	err  error
	done bool
}

func send(c *clienttest.Cluster, n *simrt.Node, fn func(cb func(*producer.SendResult, error))) *outcome {
	o := &outcome{}
	n.Runtime().Post(func() {
		fn(func(r *producer.SendResult, err error) { o.res, o.err, o.done = r, err, true })
	})
	return o
}

// pull reads a queue from the broker by hand (no consumer involved).
func pull(t *testing.T, c *clienttest.Cluster, n *simrt.Node, ep *remoting.Endpoint, addr, topic string, queueID int) []*client.MessageExt {
	t.Helper()
	var got []*client.MessageExt
	done := false
	req := remoting.NewRequest(remoting.ReqPullMessage, map[string]string{
		"consumerGroup": "cg", "topic": topic, "queueId": strconv.Itoa(queueID), "queueOffset": "0",
		"maxMsgNums": "100", "sysFlag": "4", "commitOffset": "0", "suspendTimeoutMillis": "0",
		"subscription": "*", "subVersion": "0", "expressionType": "TAG",
	})
	n.Runtime().Post(func() {
		err := ep.Invoke(ep.ConnTo(addr), req, 5*time.Second, func(resp *remoting.Command, err error) {
			require.NoError(t, err)
			if resp.Code == remoting.RespSuccess {
				got, err = client.DecodeMessages(resp.Body, "broker-a")
				require.NoError(t, err)
			}
			done = true
		})
		require.NoError(t, err)
	})
	c.RunUntil("pull", func() bool { return done }, 10*time.Second)
	return got
}

func TestSendAutoCreatesTopicAndMessagesRoundTrip(t *testing.T) {
	c := clienttest.NewCluster(t, 7, clienttest.Options{})
	n, p := newProducer(t, c, "prod", nil)

	big := bytes.Repeat([]byte("abcdefgh"), 1000) // over 4 KiB: compressed
	var outs []*outcome
	for i := 0; i < 12; i++ {
		body := []byte("m" + strconv.Itoa(i))
		if i == 5 {
			body = big
		}
		m := client.NewMessage("Orders", body).WithTag("t" + strconv.Itoa(i%2)).WithKeys("k" + strconv.Itoa(i))
		outs = append(outs, send(c, n, func(cb func(*producer.SendResult, error)) { p.Send(m, cb) }))
		c.W.RunFor(10 * time.Millisecond)
	}
	c.RunUntil("sends", func() bool {
		for _, o := range outs {
			if !o.done {
				return false
			}
		}
		return true
	}, 10*time.Second)
	ids := map[string]bool{}
	perQueue := map[int][]int64{}
	for i, o := range outs {
		require.NoError(t, o.err, "send %d", i)
		require.Equal(t, producer.SendOK, o.res.Status)
		require.Len(t, o.res.MsgID, 32)
		require.Len(t, o.res.OffsetMsgID, 32)
		require.False(t, ids[o.res.MsgID], "duplicate id")
		ids[o.res.MsgID] = true
		require.Equal(t, "broker-a", o.res.Queue.BrokerName)
		perQueue[o.res.Queue.QueueID] = append(perQueue[o.res.Queue.QueueID], o.res.QueueOffset)
	}
	require.Len(t, perQueue, 4, "round robin over the 4 default queues")
	c.W.RunFor(35 * time.Second) // the broker registers the new topic; the route refreshes
	c.Post(n, func() {
		r := p.Routes().Get("Orders")
		require.NotNil(t, r)
		require.False(t, r.Default, "the topic's own route replaced TBW102's")
	})
	for q, offs := range perQueue {
		for i, off := range offs {
			require.Equal(t, int64(i), off, "queue %d offsets", q)
		}
	}

	// What the broker stored decodes back to what was sent.
	ep := remoting.NewEndpoint(n.Runtime(), remoting.Options{})
	found := 0
	for q := 0; q < 4; q++ {
		for _, m := range pull(t, c, n, ep, c.BrokerAddrs[0], "Orders", q) {
			found++
			require.True(t, ids[m.MsgID], "msg id %s is a UNIQ_KEY we sent", m.MsgID)
			if len(m.Body) > 100 {
				require.Equal(t, big, m.Body, "compressed body inflates")
				require.NotZero(t, m.SysFlag&producer.SysFlagCompressed)
			}
			require.Contains(t, []string{"t0", "t1"}, m.Tag())
		}
	}
	require.Equal(t, 12, found)
}

func TestSendBatch(t *testing.T) {
	c := clienttest.NewCluster(t, 8, clienttest.Options{})
	n, p := newProducer(t, c, "prod", nil)
	var msgs []*client.Message
	for i := 0; i < 5; i++ {
		msgs = append(msgs, client.NewMessage("B", []byte("b"+strconv.Itoa(i))))
	}
	o := send(c, n, func(cb func(*producer.SendResult, error)) { p.SendBatch(msgs, cb) })
	c.RunUntil("batch", func() bool { return o.done }, 10*time.Second)
	require.NoError(t, o.err)
	require.Len(t, bytes.Split([]byte(o.res.MsgID), []byte(",")), 5)

	ep := remoting.NewEndpoint(n.Runtime(), remoting.Options{})
	got := pull(t, c, n, ep, c.BrokerAddrs[0], "B", o.res.Queue.QueueID)
	require.Len(t, got, 5)
	for i, m := range got {
		require.Equal(t, "b"+strconv.Itoa(i), string(m.Body))
		require.Equal(t, msgs[i].UniqKey(), m.MsgID)
	}

	bad := []*client.Message{client.NewMessage("B", []byte("x")), client.NewMessage("C", []byte("y"))}
	o = send(c, n, func(cb func(*producer.SendResult, error)) { p.SendBatch(bad, cb) })
	c.RunUntil("bad batch", func() bool { return o.done }, time.Second)
	require.ErrorIs(t, o.err, producer.ErrBadMessage)
	require.NotErrorIs(t, o.err, producer.ErrUncertain, "refused before sending")
}

func TestRetryAvoidsFailedBroker(t *testing.T) {
	c := clienttest.NewCluster(t, 9, clienttest.Options{Brokers: 2})
	n, p := newProducer(t, c, "prod", func(o *producer.Options) { o.LatencyFaultEnable = true })
	// Create the topic on both brokers and cache its route.
	for i := 0; i < 8; i++ {
		o := send(c, n, func(cb func(*producer.SendResult, error)) { p.Send(client.NewMessage("R", []byte("x")), cb) })
		c.RunUntil("warm", func() bool { return o.done }, 10*time.Second)
		require.NoError(t, o.err)
	}
	c.W.RunFor(35 * time.Second) // brokers register the topic; the route refreshes
	c.Brokers[0].Crash()
	brokers := map[string]int{}
	for i := 0; i < 8; i++ {
		o := send(c, n, func(cb func(*producer.SendResult, error)) { p.Send(client.NewMessage("R", []byte("y")), cb) })
		c.RunUntil("send", func() bool { return o.done }, 10*time.Second)
		require.NoError(t, o.err, "send %d must be retried on broker-b", i)
		brokers[o.res.Queue.BrokerName]++
	}
	require.Equal(t, map[string]int{"broker-b": 8}, brokers)
}

func TestOrderedSendKeepsShardingKeyOnOneQueue(t *testing.T) {
	c := clienttest.NewCluster(t, 10, clienttest.Options{})
	n, p := newProducer(t, c, "prod", nil)
	queues := map[string]map[int]bool{}
	for i := 0; i < 30; i++ {
		key := "order-" + strconv.Itoa(i%5)
		m := client.NewMessage("O", []byte("x")).WithShardingKey(key)
		o := send(c, n, func(cb func(*producer.SendResult, error)) { p.SendSelect(m, producer.Hash{}, cb) })
		c.RunUntil("send", func() bool { return o.done }, 10*time.Second)
		require.NoError(t, o.err)
		if queues[key] == nil {
			queues[key] = map[int]bool{}
		}
		queues[key][o.res.Queue.QueueID] = true
	}
	for k, qs := range queues {
		require.Len(t, qs, 1, "key %s used queues %v", k, qs)
	}
}

// A broker whose fsync is slower than syncFlushTimeout answers
// FLUSH_DISK_TIMEOUT; with RetryAnotherBrokerWhenNotStoreOK the producer
// tries the other broker, without it the status is reported as is.
func TestFlushDiskTimeoutStatusAndRetryAnotherBroker(t *testing.T) {
	for _, retry := range []bool{false, true} {
		c := clienttest.NewCluster(t, 11, clienttest.Options{Brokers: 2, BrokerConf: map[string]string{
			"flushDiskType": "SYNC_FLUSH", "syncFlushTimeout": "1000"}})
		n, p := newProducer(t, c, "prod", func(o *producer.Options) {
			o.RetryAnotherBrokerWhenNotStoreOK = retry
			o.SendTimeout = 10 * time.Second
		})
		for i := 0; i < 8; i++ { // topic on both brokers
			o := send(c, n, func(cb func(*producer.SendResult, error)) { p.Send(client.NewMessage("FT", []byte("x")), cb) })
			c.RunUntil("warm", func() bool { return o.done }, 10*time.Second)
			require.NoError(t, o.err)
		}
		c.W.RunFor(35 * time.Second)
		c.Brokers[0].Disk().SetFsyncLatency(func(*rand.Rand) time.Duration { return 2 * time.Second })
		statuses := map[string]int{}
		for i := 0; i < 8; i++ {
			o := send(c, n, func(cb func(*producer.SendResult, error)) { p.Send(client.NewMessage("FT", []byte("y")), cb) })
			c.RunUntil("send", func() bool { return o.done }, 20*time.Second)
			require.NoError(t, o.err)
			statuses[o.res.Queue.BrokerName+" "+o.res.Status.String()]++
		}
		if retry {
			require.Equal(t, map[string]int{"broker-b SEND_OK": 8}, statuses)
		} else {
			require.Equal(t, 4, statuses["broker-a FLUSH_DISK_TIMEOUT"], "%v", statuses)
			require.Equal(t, 4, statuses["broker-b SEND_OK"], "%v", statuses)
		}
	}
}

// A producer cut off from the only broker fails within SendTimeout, and
// sends again once the partition heals.
func TestSendTimesOutUnderPartitionThenRecovers(t *testing.T) {
	c := clienttest.NewCluster(t, 12, clienttest.Options{})
	n, p := newProducer(t, c, "prod", nil)
	o := send(c, n, func(cb func(*producer.SendResult, error)) { p.Send(client.NewMessage("P", []byte("x")), cb) })
	c.RunUntil("warm", func() bool { return o.done }, 10*time.Second)
	require.NoError(t, o.err)

	c.W.Net().Partition([]string{n.Name()}, []string{c.Brokers[0].Name()})
	start := c.W.Now()
	o = send(c, n, func(cb func(*producer.SendResult, error)) { p.Send(client.NewMessage("P", []byte("y")), cb) })
	c.RunUntil("fails", func() bool { return o.done }, 10*time.Second)
	require.ErrorIs(t, o.err, producer.ErrUncertain, "the request went out and no answer came")
	require.LessOrEqual(t, c.W.Now()-start, producer.SendTimeoutDefault+100*time.Millisecond)

	c.W.Net().Heal()
	c.RunUntil("recovers", func() bool {
		if !o.done {
			return false
		}
		if o.err == nil {
			return true
		}
		o = send(c, n, func(cb func(*producer.SendResult, error)) { p.Send(client.NewMessage("P", []byte("z")), cb) })
		return false
	}, time.Minute)
	require.Equal(t, producer.SendOK, o.res.Status)
}
