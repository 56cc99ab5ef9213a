package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/require"

	"rocketsim/broker/server"
)

// TestOfficialDelayedMessagesSurviveBrokerRestart: messages parked in
// SCHEDULE_TOPIC_XXXX when the broker is stopped and started again on its
// data directory are delivered after the restart, each exactly once (a
// graceful stop persists the delay offsets) and still never before its
// level's delay, counted from its send before the restart.
func TestOfficialDelayedMessagesSurviveBrokerRestart(t *testing.T) {
	c := startRealCluster(t, map[string]string{"messageDelayLevel": "2s 3s 4s"})
	const topic = "DelayRestart"
	createTopic(t, c, topic, 2)
	p := newProducer(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	want := map[string]delaySent{}
	for round := 0; round < 2; round++ {
		for level := 1; level <= 3; level++ {
			body := fmt.Sprintf("dr-%d-%d", level, round)
			m := primitive.NewMessage(topic, []byte(body))
			m.WithDelayTimeLevel(level)
			at := time.Now()
			res, err := p.SendSync(ctx, m)
			require.NoError(t, err, body)
			require.Equal(t, primitive.SendOK, res.Status, body)
			want[body] = delaySent{level: level, delay: time.Duration(level+1) * time.Second, at: at, msgID: res.MsgID}
		}
	}
	parked := onBroker(c, func(b *server.Broker) int64 {
		var n int64
		for q := int32(0); q < 3; q++ {
			n += b.Store().MaxOffsetInQueue("SCHEDULE_TOPIC_XXXX", q)
		}
		return n
	})
	require.Equal(t, int64(len(want)), parked, "every message parked before the restart")

	before := onBroker(c, func(b *server.Broker) map[int]int64 { return b.Schedule().Offsets() })
	t.Logf("delivered per level before the restart: %v", before) // on a fast machine none: the shortest delay is 2 s
	c.restartBroker(t)

	a := newArrivals()
	pc, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		consumer.WithGroupName("delay-restart-g"), consumer.WithInstance("drr1"),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		a.add(time.Now(), msgs...)
		return consumer.ConsumeSuccess, nil
	}))
	require.NoError(t, pc.Start())
	defer pc.Shutdown()
	waitFor(t, 30*time.Second, func() bool { return a.distinct() >= len(want) }, "every delayed message to arrive after the restart")
	time.Sleep(time.Second) // quiet window: no message is delivered twice
	require.Empty(t, earlyDeliveries(want, a))
	require.Equal(t, map[int]int64{1: 2, 2: 2, 3: 2}, onBroker(c, func(b *server.Broker) map[int]int64 {
		offs := b.Schedule().Offsets()
		return map[int]int64{1: offs[1], 2: offs[2], 3: offs[3]}
	}), "the schedule service delivered past every parked message")
}
