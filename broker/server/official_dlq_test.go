package server_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/require"

	"rocketsim/broker/server"
)

// TestOfficialRetriesThenDeadLetter: an official push consumer whose
// listener always fails some messages (maxReconsumeTimes 2, every delay
// level 1 s) sees each of them exactly 1 + 2 times, with reconsume counts
// 0, 1, 2; then the broker moves each to %DLQ%<group>, where a second
// official consumer finds exactly those messages (same message id, body,
// keys, original topic in RETRY_TOPIC) and no other; no further delivery to
// the failing group follows, and the messages the listener accepts are
// delivered once.
func TestOfficialRetriesThenDeadLetter(t *testing.T) {
	c := startRealCluster(t, map[string]string{"messageDelayLevel": "1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s"})
	const (
		topic, group = "Doom", "doom-g"
		maxTimes     = 2
	)
	dlqTopic := "%DLQ%" + group
	createTopic(t, c, topic, 2)
	// As in TestOfficialRetryAfterFailure: the client resolves its retry
	// topic's route only at start and every 30 s afterwards.
	createTopic(t, c, "%RETRY%"+group, 1)

	var mu sync.Mutex
	seen := map[string][]int32{} // body -> reconsume times of each delivery
	pc, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		consumer.WithGroupName(group), consumer.WithInstance("doom1"),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithMaxReconsumeTimes(maxTimes),
		// One message per listener call: a failing batch would fail the
		// fine messages with it.
		consumer.WithConsumeMessageBatchMaxSize(1),
	)
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		defer mu.Unlock()
		fail := false
		for _, m := range msgs {
			seen[string(m.Body)] = append(seen[string(m.Body)], m.ReconsumeTimes)
			fail = fail || strings.HasPrefix(string(m.Body), "doomed-")
		}
		if fail {
			return consumer.ConsumeRetryLater, nil
		}
		return consumer.ConsumeSuccess, nil
	}))
	require.NoError(t, pc.Start())
	defer pc.Shutdown()

	p := newProducer(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ids := map[string]string{} // body -> message id
	for _, body := range []string{"doomed-1", "fine-1", "doomed-2", "fine-2"} {
		m := primitive.NewMessage(topic, []byte(body))
		m.WithKeys([]string{"key-" + body})
		res, err := p.SendSync(ctx, m)
		require.NoError(t, err, body)
		require.Equal(t, primitive.SendOK, res.Status, body)
		ids[body] = res.MsgID
	}

	deliveries := func(body string) int {
		mu.Lock()
		defer mu.Unlock()
		return len(seen[body])
	}
	inDLQ := func() int64 {
		return onBroker(c, func(b *server.Broker) int64 { return b.Store().MaxOffsetInQueue(dlqTopic, 0) })
	}
	waitFor(t, 30*time.Second, func() bool {
		return deliveries("doomed-1") >= 1+maxTimes && deliveries("doomed-2") >= 1+maxTimes && inDLQ() >= 2
	}, "both doomed messages to exhaust their retries and reach the DLQ")

	// The dead letters are readable by an official consumer of the DLQ
	// topic (the broker creates it readable, as RocketMQ 4.x does, and
	// registers it with the name server).
	waitFor(t, 20*time.Second, func() bool { return c.routed(dlqTopic) }, "the DLQ topic to be routed")
	dead := newArrivals()
	dc, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		consumer.WithGroupName("dlq-reader"), consumer.WithInstance("dr1"),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	require.NoError(t, err)
	require.NoError(t, dc.Subscribe(dlqTopic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		dead.add(time.Now(), msgs...)
		return consumer.ConsumeSuccess, nil
	}))
	require.NoError(t, dc.Start())
	defer dc.Shutdown()
	waitFor(t, 30*time.Second, func() bool { return dead.distinct() >= 2 }, "the dead letters to be consumed from the DLQ")

	// A quiet window of several retry delays: a message that went to the
	// DLQ and also back to %RETRY% would be delivered again within it.
	time.Sleep(3 * time.Second)
	require.Equal(t, int64(2), inDLQ(), "exactly the two doomed messages are dead letters")
	mu.Lock()
	for _, body := range []string{"doomed-1", "doomed-2"} {
		require.Equal(t, []int32{0, 1, 2}, seen[body], "%s: the first delivery and %d retries, then no more", body, maxTimes)
	}
	for _, body := range []string{"fine-1", "fine-2"} {
		require.Equal(t, []int32{0}, seen[body], "%s: accepted at once, delivered once", body)
	}
	require.Len(t, seen, 4)
	mu.Unlock()

	dead.mu.Lock()
	defer dead.mu.Unlock()
	require.Len(t, dead.n, 2, "the DLQ holds only the doomed messages")
	for _, body := range []string{"doomed-1", "doomed-2"} {
		require.Equal(t, 1, dead.n[body], "%s read once from the DLQ", body)
		m := dead.msg[body]
		require.NotNil(t, m, body)
		require.Equal(t, dlqTopic, m.Topic, body)
		require.Equal(t, ids[body], m.MsgId, "%s keeps the id the producer got", body)
		require.Equal(t, "key-"+body, m.GetKeys(), body)
		require.Equal(t, topic, m.GetProperty(primitive.PropertyRetryTopic), "%s names its original topic", body)
		require.Equal(t, ids[body], m.GetProperty("ORIGIN_MESSAGE_ID"), "%s: the origin id the consumer sent back", body)
		require.Empty(t, m.GetProperty("DELAY"), "%s: a dead letter is not delayed", body)
		require.GreaterOrEqual(t, m.ReconsumeTimes, int32(maxTimes), body)
	}
}
