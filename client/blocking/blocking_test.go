package blocking_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/config"
	brokerserver "rocketsim/broker/server"
	"rocketsim/client"
	"rocketsim/client/admin"
	"rocketsim/client/blocking"
	"rocketsim/client/consumer"
	"rocketsim/client/litepull"
	"rocketsim/client/producer"
	nsserver "rocketsim/namesrv/server"
	"rocketsim/runtime/realrt"
)

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startCluster runs a name server and a broker on loopback with the real
// runtime and returns the name server address.
func startCluster(t *testing.T) string {
	ns, _ := startClusterAddrs(t)
	return ns
}

// startClusterAddrs is startCluster returning the broker's address too.
func startClusterAddrs(t *testing.T) (string, string) {
	nsPort, brokerPort := freePort(t), freePort(t)
	nscfg := nsserver.DefaultConfig()
	nscfg.BindAddress, nscfg.ListenPort = "127.0.0.1", nsPort
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ns := realrt.New("namesrv", realrt.Options{DataDir: t.TempDir(), Logger: quiet})
	require.NoError(t, ns.Start(nsserver.New(nscfg)))
	t.Cleanup(ns.Stop)
	nsAddr := fmt.Sprintf("127.0.0.1:%d", nsPort)

	cfg, _, err := config.LoadMap(map[string]string{
		"brokerClusterName": "DefaultCluster", "brokerName": "broker-a", "namesrvAddr": nsAddr,
		"brokerIP1": "127.0.0.1", "listenPort": strconv.Itoa(brokerPort), "storePathRootDir": "store",
		// Not listenPort+1 (the default): another test may hold it.
		"haListenPort":          strconv.Itoa(freePort(t)),
		"autoCreateTopicEnable": "true", "mappedFileSizeCommitLog": strconv.Itoa(16 << 20),
		"mappedFileSizeConsumeQueue": strconv.Itoa(20 * 1000),
	}, "test", config.Host{Name: "broker-a", IP: "127.0.0.1"})
	require.NoError(t, err)
	br := realrt.New("broker", realrt.Options{DataDir: t.TempDir(), Logger: quiet})
	require.NoError(t, br.Start(brokerserver.New(*cfg)))
	t.Cleanup(br.Stop)
	time.Sleep(200 * time.Millisecond) // the broker registers with the name server
	return nsAddr, fmt.Sprintf("127.0.0.1:%d", brokerPort)
}

// startProducer starts a producer of group "pg", shut down when the test
// ends.
func startProducer(t *testing.T, nsAddr string) *blocking.Producer {
	t.Helper()
	p := blocking.NewProducer(producer.Options{Group: "pg", NameServers: []string{nsAddr}}, nil)
	require.NoError(t, p.Start())
	t.Cleanup(p.Shutdown)
	return p
}

func TestBlockingProducerAndConsumerOnLoopback(t *testing.T) {
	nsAddr := startCluster(t)
	p := startProducer(t, nsAddr)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sent := map[string]bool{}
	for i := 0; i < 20; i++ {
		r, err := p.Send(ctx, client.NewMessage("L", []byte("m"+strconv.Itoa(i))).WithTag("a"))
		require.NoError(t, err)
		require.Equal(t, producer.SendOK, r.Status)
		sent[r.MsgID] = true
	}
	require.NoError(t, p.SendOneway(ctx, client.NewMessage("L", []byte("oneway")).WithTag("b")))
	asyncDone := make(chan error, 1)
	require.NoError(t, p.SendAsync(client.NewMessage("L", []byte("async")).WithTag("a"), func(r *producer.SendResult, err error) {
		if err == nil {
			sent[r.MsgID] = true // read after asyncDone
		}
		asyncDone <- err
	}))
	require.NoError(t, <-asyncDone)
	br, err := p.SendBatch(ctx, []*client.Message{client.NewMessage("L", []byte("b1")).WithTag("a"), client.NewMessage("L", []byte("b2")).WithTag("a")})
	require.NoError(t, err)
	for _, id := range splitIDs(br.MsgID) {
		sent[id] = true
	}

	c := blocking.NewPushConsumer(blocking.ConsumerOptions{Options: consumer.Options{
		Group: "cg", NameServers: []string{nsAddr}, ConsumeFrom: consumer.ConsumeFromFirstOffset}})
	var mu sync.Mutex
	got := map[string]int{}
	require.NoError(t, c.Subscribe("L", "a", func(_ context.Context, msgs []*client.MessageExt) consumer.Result {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			require.Equal(t, "a", m.Tag(), "tag filter")
			got[m.MsgID]++
		}
		return consumer.Success
	}))
	require.NoError(t, c.Start())
	defer c.Shutdown()
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == len(sent)
	}, 20*time.Second, 50*time.Millisecond)
	mu.Lock()
	for id := range sent {
		require.Equal(t, 1, got[id], "message %s", id)
	}
	mu.Unlock()
}

func splitIDs(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func TestBlockingLitePull(t *testing.T) {
	nsAddr := startCluster(t)
	p := startProducer(t, nsAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	q0 := client.Queue{Topic: "LPB", BrokerName: "broker-a", QueueID: 0}
	for i := 0; i < 10; i++ {
		_, err := p.SendSelect(ctx, client.NewMessage("LPB", []byte(strconv.Itoa(i))), producer.Manual{Queue: q0})
		require.NoError(t, err)
	}
	c := blocking.NewLitePullConsumer(litepull.Options{Options: consumer.Options{Group: "lg", NameServers: []string{nsAddr},
		ConsumeFrom: consumer.ConsumeFromFirstOffset}})
	c.Assign("LPB", []client.Queue{q0})
	require.NoError(t, c.Start())
	defer c.Shutdown()
	var got []string
	for len(got) < 10 {
		ms, err := c.Poll(ctx, 4)
		require.NoError(t, err)
		for _, m := range ms {
			got = append(got, string(m.Body))
		}
	}
	require.Equal(t, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, got)
	require.NoError(t, c.Commit())
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	ms, err := c.Poll(short, 4)
	for _, m := range ms {
		t.Logf("unexpected %s %d %q", m.Queue(), m.QueueOffset, m.Body)
	}
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Empty(t, ms)
	require.NoError(t, c.Seek(q0, 8))
	ms, err = c.Poll(ctx, 4)
	require.NoError(t, err)
	require.Equal(t, "8", string(ms[0].Body))
}

type txByBody struct{ checked chan string }

func (l *txByBody) Execute(_ context.Context, m *client.Message) producer.TransactionState {
	switch string(m.Body) {
	case "commit":
		return producer.TransactionCommit
	case "rollback":
		return producer.TransactionRollback
	}
	panic("listener failure: the broker will check back")
}

func (l *txByBody) Check(_ context.Context, m *client.MessageExt) producer.TransactionState {
	l.checked <- string(m.Body)
	return producer.TransactionCommit
}

func TestBlockingTransactions(t *testing.T) {
	nsAddr := startCluster(t)
	l := &txByBody{checked: make(chan string, 10)}
	p := blocking.NewTransactionProducer(producer.Options{Group: "txg", NameServers: []string{nsAddr}}, l, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, p.Start())
	defer p.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ids := map[string]string{}
	for _, body := range []string{"commit", "rollback", "panics"} {
		r, err := p.SendInTransaction(ctx, client.NewMessage("TXB", []byte(body)))
		require.NoError(t, err)
		ids[body] = r.MsgID
	}
	c := blocking.NewPushConsumer(blocking.ConsumerOptions{Options: consumer.Options{
		Group: "txc", NameServers: []string{nsAddr}, ConsumeFrom: consumer.ConsumeFromFirstOffset}})
	var mu sync.Mutex
	got := map[string]string{}
	require.NoError(t, c.Subscribe("TXB", "*", func(_ context.Context, msgs []*client.MessageExt) consumer.Result {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			got[m.MsgID] = string(m.Body)
		}
		return consumer.Success
	}))
	require.NoError(t, c.Start())
	defer c.Shutdown()
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return got[ids["commit"]] == "commit"
	}, 20*time.Second, 50*time.Millisecond)
	mu.Lock()
	require.Empty(t, got[ids["rollback"]])
	mu.Unlock()
}

// Broadcasting on the real runtime: both instances get every message, and
// a restarted instance resumes from the offsets in its data directory.
func TestBlockingBroadcastingResumesFromDisk(t *testing.T) {
	nsAddr := startCluster(t)
	p := startProducer(t, nsAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	send := func(n int, prefix string) {
		for i := 0; i < n; i++ {
			_, err := p.Send(ctx, client.NewMessage("BCB", []byte(prefix+strconv.Itoa(i))))
			require.NoError(t, err)
		}
	}
	send(6, "a")
	type inst struct {
		c   *blocking.PushConsumer
		mu  sync.Mutex
		got []string
	}
	dirs := []string{t.TempDir(), t.TempDir()}
	start := func(i int) *inst {
		in := &inst{}
		in.c = blocking.NewPushConsumer(blocking.ConsumerOptions{DataDir: dirs[i], Options: consumer.Options{
			Group: "bc", NameServers: []string{nsAddr}, Model: consumer.Broadcasting,
			ConsumeFrom: consumer.ConsumeFromFirstOffset, InstanceName: "i" + strconv.Itoa(i)}})
		require.NoError(t, in.c.Subscribe("BCB", "*", func(_ context.Context, msgs []*client.MessageExt) consumer.Result {
			in.mu.Lock()
			defer in.mu.Unlock()
			for _, m := range msgs {
				in.got = append(in.got, string(m.Body))
			}
			return consumer.Success
		}))
		require.NoError(t, in.c.Start())
		return in
	}
	count := func(in *inst) int { in.mu.Lock(); defer in.mu.Unlock(); return len(in.got) }
	a, b := start(0), start(1)
	defer b.c.Shutdown()
	require.Eventually(t, func() bool { return count(a) == 6 && count(b) == 6 }, 20*time.Second, 50*time.Millisecond)
	a.c.Shutdown() // commits its offsets to its directory
	send(3, "b")
	require.Eventually(t, func() bool { return count(b) == 9 }, 20*time.Second, 50*time.Millisecond)
	a2 := start(0)
	defer a2.c.Shutdown()
	require.Eventually(t, func() bool { return count(a2) == 3 }, 20*time.Second, 50*time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	a2.mu.Lock()
	defer a2.mu.Unlock()
	require.ElementsMatch(t, []string{"b0", "b1", "b2"}, a2.got, "only what it missed")
}

func TestBlockingAdminCreatesTopic(t *testing.T) {
	nsAddr, brokerAddr := startClusterAddrs(t)
	a, err := blocking.NewAdmin([]string{nsAddr})
	require.NoError(t, err)
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, a.CreateTopic(ctx, brokerAddr, admin.TopicConfig{Topic: "Made", ReadQueueNums: 3, WriteQueueNums: 3}))
	require.Eventually(t, func() bool {
		ts, err := a.Topics(ctx)
		return err == nil && slices.Contains(ts, "Made")
	}, 10*time.Second, 50*time.Millisecond)

	p := startProducer(t, nsAddr)
	queues := map[int]bool{}
	for i := 0; i < 9; i++ {
		r, err := p.Send(ctx, client.NewMessage("Made", []byte("x")))
		require.NoError(t, err)
		queues[r.Queue.QueueID] = true
	}
	require.Len(t, queues, 3, "the producer uses the created topic's 3 queues")
}
