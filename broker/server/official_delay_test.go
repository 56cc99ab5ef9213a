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

// timestampGranularity is the slack allowed when judging "never early": the
// broker stores timestamps in whole milliseconds, so a message stored at
// t+0.9 ms carries t and may be released up to just under 1 ms before its
// exact due time in real time. Nothing else is tolerated.
const timestampGranularity = time.Millisecond

// arrivals records, per body, when the official consumer's listener saw a
// message (the consumer's own clock, the same machine clock the test used to
// stamp the send) and how often.
type arrivals struct {
	mu    sync.Mutex
	first map[string]time.Time
	msg   map[string]*primitive.MessageExt
	n     map[string]int
}

func newArrivals() *arrivals {
	return &arrivals{first: map[string]time.Time{}, msg: map[string]*primitive.MessageExt{}, n: map[string]int{}}
}

func (a *arrivals) add(now time.Time, msgs ...*primitive.MessageExt) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, m := range msgs {
		b := string(m.Body)
		if a.n[b] == 0 {
			a.first[b], a.msg[b] = now, m
		}
		a.n[b]++
	}
}

func (a *arrivals) distinct() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.n)
}

// delaySent is what the test knows of one message it sent with a delay.
type delaySent struct {
	level int
	delay time.Duration
	at    time.Time // just before SendSync
	msgID string
}

// delayFlow starts an official push consumer on topic, waits until it
// long-polls, then sends two messages for each of levels 0, 1, 2, 3 and 5
// (the cluster is configured with "1s 2s 3s": level 5 clamps to 3 s) and
// waits, bounded, until every one arrived, plus a quiet second.
func delayFlow(t *testing.T, c *realCluster, topic string) (map[string]delaySent, *arrivals) {
	t.Helper()
	createTopic(t, c, topic, 2)
	a := newArrivals()
	pc, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{c.nsAddr})),
		consumer.WithGroupName("delay-g"), consumer.WithInstance("d1"),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		a.add(time.Now(), msgs...)
		return consumer.ConsumeSuccess, nil
	}))
	require.NoError(t, pc.Start())
	t.Cleanup(func() { _ = pc.Shutdown() })
	// Long-polling both queues before the sends, so arrival times measure
	// the broker's release, not the consumer's start-up.
	waitFor(t, 20*time.Second, func() bool {
		return onBroker(c, func(b *server.Broker) bool { return b.HeldPulls() >= 2 })
	}, "the consumer to long-poll the topic's queues")

	p := newProducer(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cases := []struct {
		level int
		delay time.Duration
	}{{0, 0}, {1, time.Second}, {2, 2 * time.Second}, {3, 3 * time.Second}, {5, 3 * time.Second}}
	want := map[string]delaySent{}
	for round := 0; round < 2; round++ {
		for _, tc := range cases {
			body := fmt.Sprintf("delay-%d-%d", tc.level, round)
			m := primitive.NewMessage(topic, []byte(body))
			if tc.level > 0 {
				m.WithDelayTimeLevel(tc.level)
			}
			at := time.Now()
			res, err := p.SendSync(ctx, m)
			require.NoError(t, err, body)
			require.Equal(t, primitive.SendOK, res.Status, body)
			want[body] = delaySent{level: tc.level, delay: tc.delay, at: at, msgID: res.MsgID}
		}
	}
	waitFor(t, 30*time.Second, func() bool { return a.distinct() >= len(want) }, "every delayed message to arrive")
	// Past the longest delay nothing arrives twice (a level scheduler that
	// re-puts a message again would show here).
	time.Sleep(time.Second)
	return want, a
}

// earlyDeliveries judges a delay flow: it lists every message delivered
// before its level's delay had passed since its send began (by the
// consumer's clock, or by the broker's store timestamp against the
// producer's born timestamp), delivered more than once, not delivered, or
// not sent at all; sorted.
func earlyDeliveries(want map[string]delaySent, a *arrivals) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var bad []string
	for body := range a.n {
		if _, ok := want[body]; !ok {
			bad = append(bad, body+": never sent")
		}
	}
	for body, s := range want {
		switch n := a.n[body]; {
		case n == 0:
			bad = append(bad, body+": not delivered")
			continue
		case n > 1:
			bad = append(bad, fmt.Sprintf("%s: delivered %d times", body, n))
		}
		if waited := a.first[body].Sub(s.at); waited < s.delay-timestampGranularity {
			bad = append(bad, fmt.Sprintf("%s: early: level %d arrived %v after its send began, before its %v delay", body, s.level, waited, s.delay))
		}
		m := a.msg[body]
		if stored := time.Duration(m.StoreTimestamp-m.BornTimestamp) * time.Millisecond; stored < s.delay-timestampGranularity {
			bad = append(bad, fmt.Sprintf("%s: early: level %d stored on its topic %v after it was born, before its %v delay", body, s.level, stored, s.delay))
		}
	}
	slices.Sort(bad)
	return bad
}

// TestOfficialDelayLevelsNeverEarly: the official producer sends messages
// with several delay levels (short levels from messageDelayLevel in the
// broker config, a level above the maximum clamping to the maximum, level 0
// meaning no delay); the official push consumer, already long-polling,
// receives each exactly once, never before its level's delay has passed
// since the send began, and within a bounded wait. The broker's own
// timestamps agree: the delivered message was stored (re-put from
// SCHEDULE_TOPIC_XXXX) at least the delay after the producer stamped it.
func TestOfficialDelayLevelsNeverEarly(t *testing.T) {
	c := startRealCluster(t, map[string]string{"messageDelayLevel": "1s 2s 3s"})
	const topic = "Delay"
	want, a := delayFlow(t, c, topic)
	require.Empty(t, earlyDeliveries(want, a))

	a.mu.Lock()
	defer a.mu.Unlock()
	for body, s := range want {
		m := a.msg[body]
		require.Equal(t, topic, m.Topic, "%s comes back on its real topic", body)
		require.Equal(t, s.msgID, m.MsgId, "%s keeps its message id", body)
		if s.level > 0 {
			require.Empty(t, m.GetProperty("DELAY"), "%s: the re-put message no longer asks for a delay", body)
			require.Equal(t, topic, m.GetProperty("REAL_TOPIC"), "%s: the real topic recorded while parked", body)
		}
	}
	// Each non-zero level parked its messages in SCHEDULE_TOPIC_XXXX queue
	// level-1 (level 5 in queue 2, the clamped level's queue), and the
	// schedule service has delivered past all of them.
	parked := onBroker(c, func(b *server.Broker) map[int]int64 {
		out := map[int]int64{}
		for q := 0; q < 3; q++ {
			out[q] = b.Store().MaxOffsetInQueue("SCHEDULE_TOPIC_XXXX", int32(q))
		}
		return out
	})
	require.Equal(t, map[int]int64{0: 2, 1: 2, 2: 4}, parked, "messages parked per level queue")
	waitFor(t, 10*time.Second, func() bool {
		return onBroker(c, func(b *server.Broker) bool {
			offs := b.Schedule().Offsets()
			return offs[1] == 2 && offs[2] == 2 && offs[3] == 4
		})
	}, "the schedule service's offsets to pass every parked message")
}

// TestOfficialDelayCheckCatchesEarlyDelivery shows the judgement above
// failing: a broker with the delay-early switch (one delayed message stored
// on its topic at once) is caught by the same flow.
func TestOfficialDelayCheckCatchesEarlyDelivery(t *testing.T) {
	c := startRealClusterWithBugs(t, map[string]string{"messageDelayLevel": "1s 2s 3s"},
		bugs.Switches{DeliverDelayEarly: true, Limit: 1})
	want, a := delayFlow(t, c, "DelayBug")
	bad := earlyDeliveries(want, a)
	require.NotEmpty(t, bad, "the early delivery goes unnoticed")
	culprit, _, _ := strings.Cut(bad[0], ":")
	for _, b := range bad {
		require.Contains(t, b, "early", "only the early message is wrong: %v", bad)
		require.True(t, strings.HasPrefix(b, culprit+":"), "one message is wrong: %v", bad)
	}
	require.Equal(t, 1, onBroker(c, func(b *server.Broker) int { return b.Bugs().Fired(bugs.DelayEarly) }))
}
