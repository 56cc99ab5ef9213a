package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/require"

	"rocketsim/broker/bugs"
	"rocketsim/broker/server"
)

// dlqMaxTimes is the failing consumer's maxReconsumeTimes in the DLQ flow.
const dlqMaxTimes = 2

// oneSecondLevels makes every delay level 1 s, so retries come back fast.
var oneSecondLevels = map[string]string{"messageDelayLevel": "1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s"}

// dlqOutcome is what the DLQ flow observed.
type dlqOutcome struct {
	ids  map[string]string  // body -> message id the producer got
	seen map[string][]int32 // body -> reconsume times of each delivery to the failing group
	dead *arrivals          // what a consumer of %DLQ%<group> read
}

// dlqFlow runs an official push consumer of group on topic whose listener
// fails every "doomed-*" message (maxReconsumeTimes dlqMaxTimes, one
// message per call), sends two doomed and two fine messages, waits
// (bounded) until two dead letters are stored, reads %DLQ%<group> with a
// second official consumer, and leaves a quiet window of several retry
// delays for deliveries that should not happen.
func dlqFlow(t *testing.T, c *realCluster, topic, group string) dlqOutcome {
	t.Helper()
	dlqTopic := "%DLQ%" + group
	createTopic(t, c, topic, 2)
	// As in TestOfficialRetryAfterFailure: the client resolves its retry
	// topic's route only at start and every 30 s afterwards.
	createTopic(t, c, "%RETRY%"+group, 1)

	var mu sync.Mutex
	out := dlqOutcome{ids: map[string]string{}, seen: map[string][]int32{}, dead: newArrivals()}
	pc, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		consumer.WithGroupName(group), consumer.WithInstance("doom1"),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithMaxReconsumeTimes(dlqMaxTimes),
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
			out.seen[string(m.Body)] = append(out.seen[string(m.Body)], m.ReconsumeTimes)
			fail = fail || strings.HasPrefix(string(m.Body), "doomed-")
		}
		if fail {
			return consumer.ConsumeRetryLater, nil
		}
		return consumer.ConsumeSuccess, nil
	}))
	require.NoError(t, pc.Start())
	t.Cleanup(func() { _ = pc.Shutdown() })

	p := newProducer(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, body := range []string{"doomed-1", "fine-1", "doomed-2", "fine-2"} {
		m := primitive.NewMessage(topic, []byte(body))
		m.WithKeys([]string{"key-" + body})
		res, err := p.SendSync(ctx, m)
		require.NoError(t, err, body)
		require.Equal(t, primitive.SendOK, res.Status, body)
		out.ids[body] = res.MsgID
	}
	stored := func() int64 {
		return onBroker(c, func(b *server.Broker) int64 { return b.Store().MaxOffsetInQueue(dlqTopic, 0) })
	}
	waitFor(t, 30*time.Second, func() bool { return stored() >= 2 }, "both doomed messages to reach the DLQ")

	// The dead letters are readable by an official consumer of the DLQ
	// topic (the broker creates it readable, as RocketMQ 4.x does, and
	// registers it with the name server).
	waitFor(t, 20*time.Second, func() bool { return c.routed(dlqTopic) }, "the DLQ topic to be routed")
	dc, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		consumer.WithGroupName(group+"-dlq-reader"), consumer.WithInstance("dr1"),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	require.NoError(t, err)
	require.NoError(t, dc.Subscribe(dlqTopic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		out.dead.add(time.Now(), msgs...)
		return consumer.ConsumeSuccess, nil
	}))
	require.NoError(t, dc.Start())
	t.Cleanup(func() { _ = dc.Shutdown() })
	waitFor(t, 30*time.Second, func() bool { return out.dead.distinct() >= 2 }, "the dead letters to be consumed from the DLQ")

	// A quiet window of several retry delays: a message that went to the
	// DLQ and also back to %RETRY% would be delivered again within it.
	time.Sleep(3 * time.Second)
	require.Equal(t, int64(2), stored(), "dead letters stored")
	mu.Lock()
	defer mu.Unlock()
	out.seen = cloneSeen(out.seen)
	return out
}

func cloneSeen(m map[string][]int32) map[string][]int32 {
	out := make(map[string][]int32, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}

// retryViolations judges a DLQ flow: every doomed message was delivered
// exactly 1 + dlqMaxTimes times with reconsume counts 0, 1, ... and then
// never again; every fine message once; the DLQ holds exactly the doomed
// messages, once each, with their ids and keys. Sorted.
func retryViolations(o dlqOutcome) []string {
	var bad []string
	wantDoomed := make([]int32, 0, 1+dlqMaxTimes)
	for i := int32(0); i <= dlqMaxTimes; i++ {
		wantDoomed = append(wantDoomed, i)
	}
	for body := range o.ids {
		want := []int32{0}
		if strings.HasPrefix(body, "doomed-") {
			want = wantDoomed
		}
		if !slices.Equal(o.seen[body], want) {
			bad = append(bad, fmt.Sprintf("%s: deliveries with reconsume times %v, want %v", body, o.seen[body], want))
		}
	}
	for body := range o.seen {
		if _, ok := o.ids[body]; !ok {
			bad = append(bad, body+": delivered, never sent")
		}
	}
	o.dead.mu.Lock()
	defer o.dead.mu.Unlock()
	for body, n := range o.dead.n {
		switch {
		case !strings.HasPrefix(body, "doomed-"):
			bad = append(bad, body+": in the DLQ")
		case n != 1:
			bad = append(bad, fmt.Sprintf("%s: read %d times from the DLQ", body, n))
		case o.dead.msg[body].MsgId != o.ids[body] || o.dead.msg[body].GetKeys() != "key-"+body:
			bad = append(bad, body+": in the DLQ under another id or keys")
		}
	}
	for body := range o.ids {
		if _, ok := o.dead.n[body]; strings.HasPrefix(body, "doomed-") && !ok {
			bad = append(bad, body+": not in the DLQ")
		}
	}
	slices.Sort(bad)
	return bad
}

// TestOfficialRetriesThenDeadLetter: an official push consumer whose
// listener always fails some messages (maxReconsumeTimes 2, every delay
// level 1 s) sees each of them exactly 1 + 2 times, with reconsume counts
// 0, 1, 2; then the broker moves each to %DLQ%<group>, where a second
// official consumer finds exactly those messages (same message id, body,
// keys, original topic in RETRY_TOPIC) and no other; no further delivery to
// the failing group follows, and the messages the listener accepts are
// delivered once.
func TestOfficialRetriesThenDeadLetter(t *testing.T) {
	c := startRealCluster(t, oneSecondLevels)
	const topic, group = "Doom", "doom-g"
	o := dlqFlow(t, c, topic, group)
	require.Empty(t, retryViolations(o))

	o.dead.mu.Lock()
	defer o.dead.mu.Unlock()
	for _, body := range []string{"doomed-1", "doomed-2"} {
		m := o.dead.msg[body]
		require.Equal(t, "%DLQ%"+group, m.Topic, body)
		require.Equal(t, topic, m.GetProperty(primitive.PropertyRetryTopic), "%s names its original topic", body)
		require.Equal(t, o.ids[body], m.GetProperty("ORIGIN_MESSAGE_ID"), "%s: the origin id the consumer sent back", body)
		require.Empty(t, m.GetProperty("DELAY"), "%s: a dead letter is not delayed", body)
		require.GreaterOrEqual(t, m.ReconsumeTimes, int32(dlqMaxTimes), body)
	}
}

// TestOfficialRetryCheckCatchesSkippedRetry shows the judgement above
// failing: a broker with the skip-retry switch (one send-back with retries
// left goes to the DLQ at once) is caught by the same flow.
func TestOfficialRetryCheckCatchesSkippedRetry(t *testing.T) {
	c := startRealClusterWithBugs(t, oneSecondLevels, bugs.Switches{SkipRetry: true, Limit: 1})
	o := dlqFlow(t, c, "DoomBug", "doom-bug-g")
	bad := retryViolations(o)
	require.Len(t, bad, 1, "exactly the doomed message that skipped its retries: %v", bad)
	require.Contains(t, bad[0], "deliveries with reconsume times [0]")
	require.Equal(t, 1, onBroker(c, func(b *server.Broker) int { return b.Bugs().Fired(bugs.SkipRetry) }))
}
