package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/stretchr/testify/require"

	"rocketsim/broker/bugs"
	"rocketsim/broker/config"
	"rocketsim/broker/server"
	nsserver "rocketsim/namesrv/server"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// realCluster is our name server and broker on the operating system, on
// loopback with ephemeral ports, for the official client to talk to.
type realCluster struct {
	cfg     config.Config
	dataDir string
	nsAddr  string
	nsRT    *realrt.Runtime
	ns      *nsserver.Server
	brt     *realrt.Runtime
	broker  *server.Broker
	// bugs are the broker's test-only fault switches (all off unless a
	// test shows a check catching a broken broker).
	bugs bugs.Switches
}

func startRealCluster(t *testing.T, kv map[string]string) *realCluster {
	t.Helper()
	return startRealClusterWithBugs(t, kv, bugs.Switches{})
}

// startRealClusterWithBugs is startRealCluster with a broker that commits
// the defects sw selects.
func startRealClusterWithBugs(t *testing.T, kv map[string]string, sw bugs.Switches) *realCluster {
	t.Helper()
	rlog.SetLogLevel("error")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	nscfg := nsserver.DefaultConfig()
	nscfg.BindAddress, nscfg.ListenPort = "127.0.0.1", 0
	nsRT := realrt.New("namesrv", realrt.Options{DataDir: t.TempDir(), Logger: quiet})
	nsCh := make(chan *nsserver.Server, 1)
	require.NoError(t, nsRT.Start(func(rt runtime.Runtime) (runtime.Node, error) {
		s, err := nsserver.Start(rt, nscfg)
		if err == nil {
			nsCh <- s
		}
		return s, err
	}))
	t.Cleanup(nsRT.Stop)
	ns := <-nsCh
	c := &realCluster{nsAddr: ns.Addr(), nsRT: nsRT, ns: ns, bugs: sw}

	base := map[string]string{
		"brokerClusterName":     "DefaultCluster",
		"brokerName":            "broker-a",
		"namesrvAddr":           c.nsAddr,
		"brokerIP1":             "127.0.0.1",
		"listenPort":            "0",
		"storePathRootDir":      "store",
		"flushDiskType":         "SYNC_FLUSH",
		"autoCreateTopicEnable": "true",
		"defaultTopicQueueNums": "4",
		"enablePropertyFilter":  "true",
	}
	for k, v := range kv {
		base[k] = v
	}
	cfg, _, err := config.LoadMap(base, "test", config.Host{Name: "broker-a", IP: "127.0.0.1"})
	require.NoError(t, err)
	c.cfg, c.dataDir = *cfg, t.TempDir()
	c.startBroker(t)
	t.Cleanup(func() { c.brt.Stop() })
	return c
}

// startBroker starts the broker on the cluster's data directory and waits
// until it registered with the name server.
func (c *realCluster) startBroker(t *testing.T) {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	c.brt = realrt.New("broker-a", realrt.Options{DataDir: c.dataDir, Logger: quiet})
	got := make(chan *server.Broker, 1)
	newNode := server.NewWithBugs(c.cfg, c.bugs)
	require.NoError(t, c.brt.Start(func(rt runtime.Runtime) (runtime.Node, error) {
		n, err := newNode(rt)
		if err == nil {
			got <- n.(*server.Broker)
		}
		return n, err
	}))
	c.broker = <-got
	waitFor(t, 10*time.Second, func() bool {
		return onBroker(c, func(b *server.Broker) bool { return b.Stats().Registrations > 0 })
	}, "the broker to register with the name server")
}

// restartBroker stops the broker gracefully and starts it again on the same
// data directory and port, as an operator's restart does.
func (c *realCluster) restartBroker(t *testing.T) {
	t.Helper()
	_, port, err := net.SplitHostPort(c.broker.Addr())
	require.NoError(t, err)
	c.brt.Stop()
	c.cfg.ListenPort, err = strconv.Atoi(port)
	require.NoError(t, err)
	c.startBroker(t)
}

// onBroker runs fn on the broker's loop and waits for it.
func onBroker[T any](c *realCluster, fn func(b *server.Broker) T) T {
	ch := make(chan T, 1)
	c.brt.Post(func() { ch <- fn(c.broker) })
	return <-ch
}

// routed reports whether the name server has a route for topic.
func (c *realCluster) routed(topic string) bool {
	ch := make(chan bool, 1)
	c.nsRT.Post(func() {
		_, ok := c.ns.Table().Route(topic)
		ch <- ok
	})
	return <-ch
}

type received struct {
	mu   sync.Mutex
	msgs map[string]*primitive.MessageExt // by body
	n    int
}

func (r *received) add(msgs ...*primitive.MessageExt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range msgs {
		r.msgs[string(m.Body)] = m
		r.n++
	}
}

func (r *received) count() (distinct, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs), r.n
}

func waitFor(t *testing.T, limit time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startPushConsumer starts a clustering push consumer reading from the
// first offset; its handler records what arrives in r.
func startPushConsumer(t *testing.T, c *realCluster, group, instance, topic string, sel consumer.MessageSelector,
	r *received, opts ...consumer.Option) rocketmqPushConsumer {
	t.Helper()
	return startWatchedConsumer(t, c, group, instance, topic, sel, r, opts...).rocketmqPushConsumer
}

type rocketmqPushConsumer interface {
	Shutdown() error
}

// TestOfficialClientSendAndPushConsume is the compatibility test: the
// unmodified rocketmq-client-go producer sends through our name server and
// broker, and its push consumer (clustering) receives every message with
// its body, tag and keys, and commits offsets, so a restarted consumer of the
// same group receives nothing old.
func TestOfficialClientSendAndPushConsume(t *testing.T) {
	c := startRealCluster(t, nil)
	const topic, n = "E2E", 40

	p, err := producer.NewDefaultProducer(
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		producer.WithGroupName("pg"),
		producer.WithRetry(2),
	)
	require.NoError(t, err)
	require.NoError(t, p.Start())
	defer p.Shutdown()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sendOne := func(i int) *primitive.SendResult {
		msg := primitive.NewMessage(topic, []byte("body-"+strconv.Itoa(i)))
		msg.WithTag([]string{"tagA", "tagB"}[i%2])
		msg.WithKeys([]string{"key-" + strconv.Itoa(i)})
		res, err := p.SendSync(ctx, msg)
		require.NoError(t, err, "send %d", i)
		require.Equal(t, primitive.SendOK, res.Status, "send %d: %v", i, res)
		return res
	}
	queues := map[int]bool{}
	for i := 0; i < n; i++ {
		res := sendOne(i)
		queues[res.MessageQueue.QueueId] = true
		require.Equal(t, "broker-a", res.MessageQueue.BrokerName)
	}
	require.Len(t, queues, 4, "the auto-created topic has 4 queues and the producer uses them all")

	r := &received{msgs: map[string]*primitive.MessageExt{}}
	pc := startPushConsumer(t, c, "cg", "c1", topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}, r)
	waitFor(t, 60*time.Second, func() bool { d, _ := r.count(); return d == n }, "all messages consumed")
	for i := 0; i < n; i++ {
		m := r.msgs["body-"+strconv.Itoa(i)]
		require.NotNil(t, m, "message %d", i)
		require.Equal(t, []string{"tagA", "tagB"}[i%2], m.GetTags())
		require.Equal(t, "key-"+strconv.Itoa(i), m.GetKeys())
		require.Equal(t, topic, m.Topic)
	}

	// Offsets reach the broker (piggy-backed on pulls and sent every 5 s and
	// at shutdown).
	require.NoError(t, pc.Shutdown())
	waitFor(t, 20*time.Second, func() bool {
		return onBroker(c, func(b *server.Broker) bool {
			var sum int64
			for _, off := range b.Offsets().Queues("cg", topic) {
				sum += off
			}
			return sum == n
		})
	}, "committed offsets to cover every message")

	// A new instance of the group starts from the committed offsets: it
	// receives the one new message and nothing old.
	r2 := &received{msgs: map[string]*primitive.MessageExt{}}
	pc2 := startPushConsumer(t, c, "cg", "c2", topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}, r2)
	defer pc2.Shutdown()
	waitFor(t, 30*time.Second, func() bool {
		return onBroker(c, func(b *server.Broker) bool { return b.HeldPulls() >= 4 })
	}, "the second consumer to long-poll every queue")
	sendOne(n)
	waitFor(t, 30*time.Second, func() bool { d, _ := r2.count(); return d >= 1 }, "the new message")
	time.Sleep(500 * time.Millisecond)
	d, total := r2.count()
	require.Equal(t, 1, d, "only the new message: %v", keys(r2))
	require.Equal(t, 1, total)
	require.NotNil(t, r2.msgs["body-"+strconv.Itoa(n)])
}

func keys(r *received) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for k := range r.msgs {
		out = append(out, k)
	}
	return out
}
