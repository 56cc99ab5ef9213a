package server_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/stretchr/testify/require"

	"rocketsim/broker/config"
	"rocketsim/broker/server"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// TestOfficialClientSyncMaster: the official producer against a
// SYNC_MASTER on the real runtime sees SLAVE_NOT_AVAILABLE as
// SendSlaveNotAvailable (a stored message, not an error) until a slave
// (a second broker process, brokerId 1, which learns its master from the
// name server) follows it, then SendOK once the slave has each message.
func TestOfficialClientSyncMaster(t *testing.T) {
	c := startRealCluster(t, map[string]string{"brokerRole": "SYNC_MASTER", "flushDiskType": "ASYNC_FLUSH"})
	p, err := producer.NewDefaultProducer(
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		producer.WithGroupName("pg-ha"),
		producer.WithRetry(0),
	)
	require.NoError(t, err)
	require.NoError(t, p.Start())
	defer p.Shutdown()
	send := func(body string) *primitive.SendResult {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := p.SendSync(ctx, primitive.NewMessage("HA", []byte(body)))
		require.NoError(t, err)
		return res
	}
	res := send("alone")
	require.Equal(t, primitive.SendSlaveNotAvailable, res.Status, "%v", res)
	require.NotEmpty(t, res.MsgID)

	kv := map[string]string{"brokerClusterName": "DefaultCluster", "brokerName": "broker-a", "brokerId": "1",
		"brokerRole": "SLAVE", "namesrvAddr": c.nsAddr, "brokerIP1": "127.0.0.1", "listenPort": "0",
		"storePathRootDir": "store", "flushDiskType": "ASYNC_FLUSH"}
	cfg, _, err := config.LoadMap(kv, "slave", config.Host{Name: "broker-a-s", IP: "127.0.0.1"})
	require.NoError(t, err)
	srt := realrt.New("broker-a-s", realrt.Options{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	got := make(chan *server.Broker, 1)
	require.NoError(t, srt.Start(func(rt runtime.Runtime) (runtime.Node, error) {
		n, err := server.New(*cfg)(rt)
		if err == nil {
			got <- n.(*server.Broker)
		}
		return n, err
	}))
	defer srt.Stop()
	slave := <-got
	onSlave := func(fn func() bool) bool {
		ch := make(chan bool, 1)
		srt.Post(func() { ch <- fn() })
		return <-ch
	}
	waitFor(t, 10*time.Second, func() bool { return onSlave(func() bool { return slave.HASlave().Connected() }) },
		"the slave to connect to its master's HA port")

	for i := range 5 {
		res = send("replicated " + string(rune('a'+i)))
		require.Equal(t, primitive.SendOK, res.Status, "%v", res)
	}
	end := onBroker(c, func(b *server.Broker) int64 { return b.Store().MaxPhyOffset() })
	require.GreaterOrEqual(t, onBroker(c, func(b *server.Broker) int64 { return b.HA().SlaveAcked() }), end)
	waitFor(t, 5*time.Second, func() bool {
		return onSlave(func() bool { return slave.Store().MaxPhyOffset() == end })
	}, "the slave to hold the master's log")
}
