package server_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/require"

	"rocketsim/broker/server"
)

// TestOfficialOrderlyPoisonGoesToDLQInOrder: an official orderly consumer
// retries a failing message locally (suspending its queue), then sends it
// back with delay level -1, which the broker stores in %DLQ%<group> at
// once; the messages behind it in the queue are consumed after it, in send
// order, each once, and the DLQ holds exactly the poison message.
//
// The Go client gives up when a message's reconsume count exceeds
// maxReconsumeTimes (Java: reaches it), so with maxReconsumeTimes 2 the
// poison message is delivered 2 + 2 times.
func TestOfficialOrderlyPoisonGoesToDLQInOrder(t *testing.T) {
	c := startRealCluster(t, nil)
	const topic, group, maxTimes = "OrdPoison", "ord-poison-g", 2
	createTopic(t, c, topic, 1)
	createTopic(t, c, "%RETRY%"+group, 1)

	var mu sync.Mutex
	var order []string
	pc, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		consumer.WithGroupName(group), consumer.WithInstance("op1"),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumerOrder(true),
		consumer.WithMaxReconsumeTimes(maxTimes),
		consumer.WithSuspendCurrentQueueTimeMillis(100*time.Millisecond),
		consumer.WithConsumeMessageBatchMaxSize(1),
	)
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			order = append(order, string(m.Body))
			if string(m.Body) == "o-2" {
				return consumer.SuspendCurrentQueueAMoment, nil
			}
		}
		return consumer.ConsumeSuccess, nil
	}))
	require.NoError(t, pc.Start())
	defer pc.Shutdown()

	p := newProducer(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ids := map[string]string{}
	for i := 0; i < 6; i++ {
		body := "o-" + strconv.Itoa(i)
		res, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte(body)))
		require.NoError(t, err, body)
		require.Equal(t, primitive.SendOK, res.Status, body)
		ids[body] = res.MsgID
	}
	dlq := "%DLQ%" + group
	waitFor(t, 40*time.Second, func() bool {
		mu.Lock()
		n := len(order)
		mu.Unlock()
		return n >= 5+maxTimes+2 && onBroker(c, func(b *server.Broker) int64 { return b.Store().MaxOffsetInQueue(dlq, 0) }) >= 1
	}, "the poison message to be given up and the rest consumed")
	time.Sleep(time.Second) // quiet window: nothing more is delivered

	mu.Lock()
	got := append([]string(nil), order...)
	mu.Unlock()
	want := []string{"o-0", "o-1"}
	for i := 0; i < maxTimes+2; i++ {
		want = append(want, "o-2")
	}
	want = append(want, "o-3", "o-4", "o-5")
	require.Equal(t, want, got, "local retries of the poison message, then the rest in order, each once")

	require.Equal(t, int64(1), onBroker(c, func(b *server.Broker) int64 { return b.Store().MaxOffsetInQueue(dlq, 0) }),
		"exactly one dead letter")
	require.Zero(t, onBroker(c, func(b *server.Broker) int64 { return b.Store().MaxOffsetInQueue("%RETRY%"+group, 0) }),
		"an orderly consumer's retries are local: nothing goes through %RETRY%")
	waitFor(t, 20*time.Second, func() bool { return c.routed(dlq) }, "the DLQ topic to be routed")
	dead := newArrivals()
	dc, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		consumer.WithGroupName(group+"-dlq-reader"), consumer.WithInstance("opr1"),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	require.NoError(t, err)
	require.NoError(t, dc.Subscribe(dlq, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		dead.add(time.Now(), msgs...)
		return consumer.ConsumeSuccess, nil
	}))
	require.NoError(t, dc.Start())
	defer dc.Shutdown()
	waitFor(t, 30*time.Second, func() bool { return dead.distinct() >= 1 }, "the dead letter to be read")
	dead.mu.Lock()
	defer dead.mu.Unlock()
	require.Len(t, dead.n, 1)
	m := dead.msg["o-2"]
	require.NotNil(t, m, "the DLQ holds the poison message: %v", dead.n)
	require.Equal(t, ids["o-2"], m.MsgId)
	require.Equal(t, topic, m.GetProperty(primitive.PropertyRetryTopic), "the dead letter names its original topic")
}
